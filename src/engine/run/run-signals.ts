/**
 * A run's open waits (`ctx.waitFor`) and the signals that end them. A wait writes `run.suspended`
 * with `waitingFor` and holds the run's gate; a signal (checked against the wait's schema) writes
 * `signal.received` and gives the payload to the step; a timeout writes `signal.timeout` saying
 * what the step chose. Then `run.resumed` when nothing else holds the run; while another of its
 * waits is open, `run.suspended` names that one instead, so the fold and the runs row keep saying
 * what the run waits for (no new step starts until the last wait ends). A wait is a row of data plus, at most, its timeout
 * timer: no promise has to survive a restart, since a resumed run rebuilds it from the trail.
 */
import { checkPayload } from "../../events/index.js";
import type { RunGate } from "./run-gate.js";
import { waitKey, type RunRestore, type StoredWait, type WaitOutcome } from "./run-restore.js";
import { SignalNotAwaitedError, SignalPayloadError, SignalTimeoutError } from "./signal-errors.js";
import type { StepEventBody } from "./step-context.js";

/** What the waits need from their run. */
export interface SignalHost {
  readonly runId: string;
  readonly gate: RunGate;
  readonly restore: RunRestore | undefined;
  /** Emits a run-level event, or one placed at a step with `stepId`, `attempt` and `path`. */
  emitAt(body: StepEventBody, stepId?: string, attempt?: number, path?: readonly number[]): Promise<void>;
  /** A wait opened (its `run.suspended` written): the runs above a sub-workflow run suspend too. */
  waitOpened(wait: StoredWait): Promise<void>;
  /** A wait ended (`why`: a signal arrived, or its timeout), after its `run.resumed`. */
  waitClosed(wait: StoredWait, why: string, by: string): Promise<void>;
}

/** What a step asks for when it waits. */
export interface WaitRequest extends Omit<StoredWait, "deadline"> {
  readonly timeoutValue?: unknown;
}

interface OpenWait extends StoredWait {
  readonly key: string;
  timer?: ReturnType<typeof setTimeout>;
  /** The step's promise, once the step waits (a wait restored from the trail has none until its step gets there). */
  settle?: { resolve(value: unknown): void; reject(error: unknown): void; timeoutValue: unknown; onTimeout: "fail" | "resume" };
  /** How it ended, when it ended before its step got back to it. */
  outcome?: WaitOutcome;
}

export class RunSignals {
  private readonly open = new Map<string, OpenWait>();
  private readonly ended = new Map<string, OpenWait>();

  constructor(private readonly host: SignalHost) {}

  /** The signals waited for now, oldest first. */
  waitingFor(): string[] {
    return [...this.open.values()].map((wait) => wait.name);
  }

  /** Re-opens the waits the trail ends with (a run resumed in a new process): gate held, timers set. */
  restoreOpen(waits: ReadonlyMap<string, StoredWait>): void {
    for (const [key, stored] of waits) {
      const wait: OpenWait = { ...stored, key };
      this.open.set(key, wait);
      this.host.gate.hold();
      this.arm(wait);
    }
  }

  /**
   * Waits for the signal `request.name`; resolves with its payload (or the timeout value). A wait
   * that already ended (a resumed run's step coming back to it) settles at once, writing nothing.
   */
  async wait(request: WaitRequest): Promise<unknown> {
    const key = waitKey(request.stepId, request.path, request.attempt, request.index);
    const past = this.host.restore?.outcome(key) ?? this.ended.get(key)?.outcome;
    if (past !== undefined) return this.settled(request, past);
    let wait = this.open.get(key);
    if (wait === undefined) {
      const deadline = request.timeoutMs === undefined ? undefined : Date.now() + request.timeoutMs;
      const { timeoutValue: _value, ...stored } = request;
      wait = { ...stored, key, ...(deadline === undefined ? {} : { deadline }) };
      this.open.set(key, wait);
      this.host.gate.hold();
      await this.host.emitAt(suspendedBy(wait, `step "${wait.stepId}" waits for signal "${wait.name}"`));
      this.arm(wait);
      await this.host.waitOpened(wait);
    }
    const opened = wait;
    return new Promise((resolve, reject) => {
      opened.settle = { resolve, reject, timeoutValue: request.timeoutValue, onTimeout: request.onTimeout };
    });
  }

  /**
   * Delivers a signal to the oldest wait for `name`: checks the payload, writes `signal.received`
   * and `run.resumed`, and hands the payload to the step.
   * @throws SignalNotAwaitedError when nothing waits for `name`; SignalPayloadError when the payload fails the wait's schema.
   */
  async signal(name: string, payload: unknown, by: string): Promise<void> {
    const wait = [...this.open.values()].find((candidate) => candidate.name === name);
    if (wait === undefined) throw new SignalNotAwaitedError(this.host.runId, name, this.waitingFor());
    if (wait.deadline !== undefined && Date.now() >= wait.deadline) {
      // Past its deadline (a run resumed late, or a signal racing the timer): the timeout wins.
      await this.timeout(wait);
      throw new SignalNotAwaitedError(this.host.runId, name, this.waitingFor(), ` (its wait timed out at ${new Date(wait.deadline).toISOString()})`);
    }
    if (wait.schema !== undefined) {
      const issues = checkPayload(wait.schema, payload);
      if (issues.length > 0) throw new SignalPayloadError(name, issues);
    }
    this.end(wait, { kind: "signal", payload });
    const body: StepEventBody = { type: "signal.received", signal: name, index: wait.index, by };
    if (payload !== undefined) body.payload = payload;
    await this.host.emitAt(body, wait.stepId, wait.attempt, wait.path);
    await this.goOnOrStillWait(`signal "${name}" arrived`, by, name);
    this.host.gate.release();
    await this.host.waitClosed(wait, `signal "${name}" arrived`, by);
    wait.settle?.resolve(payload);
  }

  /**
   * A wait ended (before its hold is released): `run.resumed` when that opens the run; while
   * another of its own waits is open, `run.suspended` naming it (the run still waits). Held only
   * by a pause or a sub-workflow's wait, it writes nothing: the run stays suspended as it was.
   */
  private async goOnOrStillWait(reason: string, by: string, signal: string): Promise<void> {
    if (this.host.gate.opensOnRelease) {
      await this.host.emitAt({ type: "run.resumed", reason, by, signal });
      return;
    }
    const next = this.open.values().next().value;
    if (next !== undefined) await this.host.emitAt(suspendedBy(next, `${reason}; the run still waits for signal "${next.name}" (step "${next.stepId}")`));
  }

  /** After a pause ended with waits still open: `run.suspended` names the oldest again. False when none is open. */
  async stillWaiting(reason: string): Promise<boolean> {
    const next = this.open.values().next().value;
    if (next === undefined) return false;
    await this.host.emitAt(suspendedBy(next, `${reason}; the run still waits for signal "${next.name}" (step "${next.stepId}")`));
    return true;
  }

  /** The run stopped: timers cleared, waiting steps rejected with `reason` (their attempts are abandoned). */
  close(reason: unknown): void {
    for (const wait of this.open.values()) {
      clearTimeout(wait.timer);
      wait.settle?.reject(reason);
    }
    this.open.clear();
  }

  private arm(wait: OpenWait): void {
    if (wait.deadline === undefined) return;
    // A wait restored after its deadline times out at once (on the next turn, after the resume returned).
    const delay = Math.max(0, wait.deadline - Date.now());
    wait.timer = setTimeout(() => void this.timeout(wait), delay);
  }

  private async timeout(wait: OpenWait): Promise<void> {
    if (this.open.get(wait.key) !== wait) return;
    this.end(wait, { kind: "timeout" });
    const action = wait.settle?.onTimeout ?? wait.onTimeout;
    const timeoutMs = wait.timeoutMs ?? 0;
    await this.host.emitAt({ type: "signal.timeout", signal: wait.name, index: wait.index, timeoutMs, action }, wait.stepId, wait.attempt, wait.path);
    const why = `no signal "${wait.name}" within ${timeoutMs} ms: the step ${action === "fail" ? "fails" : "goes on"}`;
    await this.goOnOrStillWait(why, "timeout", wait.name);
    this.host.gate.release();
    await this.host.waitClosed(wait, why, "timeout");
    if (wait.settle !== undefined) this.settleTimeout(wait.settle, wait);
  }

  private end(wait: OpenWait, outcome: WaitOutcome): void {
    clearTimeout(wait.timer);
    this.open.delete(wait.key);
    wait.outcome = outcome;
    this.ended.set(wait.key, wait);
  }

  private settled(request: WaitRequest, outcome: WaitOutcome): unknown {
    if (outcome.kind === "signal") return outcome.payload;
    if (request.onTimeout === "resume") return request.timeoutValue;
    throw new SignalTimeoutError(request.stepId, request.name, request.timeoutMs ?? 0);
  }

  private settleTimeout(settle: NonNullable<OpenWait["settle"]>, wait: OpenWait): void {
    if (settle.onTimeout === "resume") settle.resolve(settle.timeoutValue);
    else settle.reject(new SignalTimeoutError(wait.stepId, wait.name, wait.timeoutMs ?? 0));
  }
}

/** The `run.suspended` of a wait: what it waits for, and the wait as a resumed run reads it back. */
function suspendedBy(wait: StoredWait, reason: string): StepEventBody {
  const info: Record<string, unknown> = { stepId: wait.stepId, attempt: wait.attempt, index: wait.index, onTimeout: wait.onTimeout };
  if (wait.path !== undefined) info.path = wait.path;
  if (wait.timeoutMs !== undefined) info.timeoutMs = wait.timeoutMs;
  if (wait.deadline !== undefined) info.deadline = wait.deadline;
  if (wait.schema !== undefined) info.schema = wait.schema;
  return { type: "run.suspended", reason, by: `step:${wait.stepId}`, waitingFor: wait.name, wait: info };
}
