/**
 * The errors a run rejects with. Each names what failed and why, so a message read in a log is
 * enough to find the cause.
 */
import type { Decision, ErrorInfo } from "../../events/index.js";

/**
 * Base of every error a run rejects with: which run of which workflow.
 * @example
 * wf.run(input).catch((e) => { if (e instanceof RunError) log.error(e.runId, e.message) })
 */
export abstract class RunError extends Error {
  abstract override readonly name: string;
  constructor(
    message: string,
    readonly runId: string,
    readonly workflow: string,
  ) {
    super(message);
  }
}

/**
 * A step failed and nothing (retry, fallback) saved it. `cause` is what the step threw,
 * `decision` the control handler that failed the run, when one did.
 *
 * @example
 * try { await wf.run(input) }
 * catch (e) { if (e instanceof StepFailedError) console.log(e.stepId, e.attempt, e.error.message) }
 */
export class StepFailedError extends RunError {
  override readonly name = "StepFailedError";
  constructor(
    runId: string,
    workflow: string,
    readonly stepId: string,
    readonly attempt: number,
    readonly error: ErrorInfo,
    readonly decision?: Decision,
    readonly path?: readonly number[],
  ) {
    const at = path === undefined ? "" : ` in iteration [${path.join(", ")}]`;
    const by = decision === undefined ? "" : ` (failed by control handler "${decision.handler}")`;
    super(
      `workflow "${workflow}" run ${runId} failed at step "${stepId}"${at} (attempt ${attempt}): ${error.name}: ${error.message}${by}`,
      runId,
      workflow,
    );
  }
}

/**
 * The run's `timeoutMs` elapsed before it finished.
 * @example
 * await wf.run(input, { timeoutMs: 30_000 }) // rejects with RunTimeoutError after 30 s
 */
export class RunTimeoutError extends RunError {
  override readonly name = "RunTimeoutError";
  constructor(
    runId: string,
    workflow: string,
    readonly timeoutMs: number,
  ) {
    super(`workflow "${workflow}" run ${runId} timed out after ${timeoutMs} ms`, runId, workflow);
  }
}

/**
 * The run's signal was aborted; the run ended with `run.cancelled`.
 * @example
 * const ac = new AbortController(); const p = wf.run(input, { signal: ac.signal }); ac.abort("user");
 */
export class RunCancelledError extends RunError {
  override readonly name = "RunCancelledError";
  constructor(
    runId: string,
    workflow: string,
    readonly reason: string,
  ) {
    super(`workflow "${workflow}" run ${runId} was cancelled: ${reason}`, runId, workflow);
  }
}

/**
 * A control handler answered FAIL before the run started.
 * @example
 * // a before-run handler answers { signal: "fail", reason: "account suspended" }
 */
export class RunVetoedError extends RunError {
  override readonly name = "RunVetoedError";
  constructor(
    runId: string,
    workflow: string,
    readonly decision: Decision,
  ) {
    super(
      `workflow "${workflow}" run ${runId} was refused by control handler "${decision.handler}": ${decision.reason ?? "no reason given"}`,
      runId,
      workflow,
    );
  }
}

/**
 * A run failed for a reason outside any step: a control handler that threw, an engine fault.
 * @example
 * // a control port whose check throws fails the run with RunFailedError
 */
export class RunFailedError extends RunError {
  override readonly name = "RunFailedError";
  constructor(
    runId: string,
    workflow: string,
    readonly error: ErrorInfo,
  ) {
    super(`workflow "${workflow}" run ${runId} failed: ${error.name}: ${error.message}`, runId, workflow);
  }
}

/**
 * Thrown into a step whose `timeoutMs` elapsed; its `ctx.signal` is aborted with it.
 * @example
 * .step("call", (ctx) => fetch(url, { signal: ctx.signal }), { timeoutMs: 2_000 })
 */
export class StepTimeoutError extends Error {
  override readonly name = "StepTimeoutError";
  readonly retryable = true;
  constructor(
    readonly stepId: string,
    readonly timeoutMs: number,
  ) {
    super(`step "${stepId}" timed out after ${timeoutMs} ms`);
  }
}

/**
 * What `ctx.tool`/`ctx.llm` throw when a call failed and control did not save it.
 * @example
 * try { await ctx.tool("geo", q, geocode) } catch (e) { if (e instanceof CallFailedError) ctx.issues.push(e.message) }
 */
export class CallFailedError extends Error {
  override readonly name = "CallFailedError";
  constructor(
    readonly kind: "tool" | "llm",
    readonly callName: string,
    readonly error: ErrorInfo,
    readonly decision?: Decision,
    readonly retryable?: boolean,
  ) {
    super(`${kind} "${callName}" failed: ${error.name}: ${error.message}`);
  }
}

/**
 * Turns anything thrown into serialisable error data.
 * @example
 * toErrorInfo(new RangeError("bad")) // { name: "RangeError", message: "bad", stack: "…" }
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const info: { -readonly [K in keyof ErrorInfo]: ErrorInfo[K] } = { name: error.name, message: error.message };
    if (error.stack !== undefined) info.stack = error.stack;
    const extra = error as Error & { code?: unknown; retryable?: unknown };
    if (typeof extra.code === "string") info.code = extra.code;
    if (typeof extra.retryable === "boolean") info.retryable = extra.retryable;
    return info;
  }
  return { name: "NonError", message: typeof error === "string" ? error : safeString(error) };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
