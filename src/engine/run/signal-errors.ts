/**
 * The errors of suspension and signals: a signal nobody waits for, a payload that does not match
 * its wait's schema, a wait that timed out, and a resume the trail or the workflow refuses.
 */
import type { ValidationIssue } from "../../events/index.js";

/**
 * `run.signal(name)` when no step of the run waits for `name` (the wait ended, timed out, or never
 * began). The HTTP route answers 409 with this message.
 * @example
 * try { await run.signal("approval", {}) } catch (e) { if (e instanceof SignalNotAwaitedError) console.log(e.waitingFor) }
 */
export class SignalNotAwaitedError extends Error {
  override readonly name = "SignalNotAwaitedError";
  constructor(
    readonly runId: string,
    readonly signal: string,
    /** The signals the run does wait for now. */
    readonly waitingFor: readonly string[],
    why = "",
  ) {
    const waits = waitingFor.length === 0 ? "it waits for no signal" : `it waits for ${waitingFor.map((n) => `"${n}"`).join(", ")}`;
    super(`run ${runId} is not waiting for signal "${signal}"${why}: ${waits}`);
  }
}

/**
 * A signal's payload does not match the schema its `waitFor` gave; `field` is the JSON pointer of
 * the first field at fault (the HTTP route answers 400 naming it).
 * @example
 * catch (e) { if (e instanceof SignalPayloadError) console.log(e.field, e.issues) } // "/approved"
 */
export class SignalPayloadError extends Error {
  override readonly name = "SignalPayloadError";
  constructor(
    readonly signal: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    const first = issues[0];
    super(`signal "${signal}": payload field ${first?.path || "/"} ${first?.message ?? "is invalid"}`);
  }
  get field(): string {
    return this.issues[0]?.path ?? "";
  }
}

/**
 * What `ctx.waitFor` throws when no signal came within `timeoutMs` and the step chose
 * `onTimeout: "fail"` (the default): the step fails with it, and retries like any failure.
 * @example
 * await ctx.waitFor("approval", { timeoutMs: 86_400_000 }) // throws SignalTimeoutError a day later
 */
export class SignalTimeoutError extends Error {
  override readonly name = "SignalTimeoutError";
  readonly retryable = false;
  constructor(
    readonly stepId: string,
    readonly signal: string,
    readonly timeoutMs: number,
  ) {
    super(`step "${stepId}" waited ${timeoutMs} ms for signal "${signal}", and none came`);
  }
}

/**
 * A run cannot be resumed from its trail: it ended, it has no events, or this process's workflow
 * is not the one (or not the version) that started it.
 * @example
 * catch (e) { if (e instanceof ResumeRefusedError) console.error(e.message) }
 * // run r1 was started by "approve" version "1", and this process has version "2": resume refused
 */
export class ResumeRefusedError extends Error {
  override readonly name = "ResumeRefusedError";
  constructor(
    readonly runId: string,
    message: string,
  ) {
    super(`cannot resume run ${runId}: ${message}`);
  }
}
