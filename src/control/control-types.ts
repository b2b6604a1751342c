/**
 * The contract between the engine and control: at each decision point the engine asks
 * `check(event, ctx)` and acts on the answer. The answer names its handler, so every steering
 * decision can be written into the trail and a stored run explains itself.
 */
import type { ErrorInfo } from "../events/index.js";
import type { RuntrailEvent } from "../events/index.js";

/** Go on as planned. `timeoutMs` lets a policy bound the step about to run. */
export interface Proceed {
  readonly signal: "proceed";
  readonly timeoutMs?: number;
}
/** Do not run the step; `value` becomes its output. */
export interface Skip {
  readonly signal: "skip";
  readonly value?: unknown;
  readonly reason?: string;
}
/** Run the failed step (or call) again after `delayMs`. */
export interface Retry {
  readonly signal: "retry";
  readonly delayMs: number;
  readonly reason?: string;
}
/** Treat the failed step (or call) as completed with `value`. */
export interface Fallback {
  readonly signal: "fallback";
  readonly value: unknown;
  readonly reason?: string;
}
/** Stop: fail the step and the run with `reason`. */
export interface Fail {
  readonly signal: "fail";
  readonly reason: string;
}

/**
 * Pause the run before this step (a budget spent, a rate too high): `run.suspended` names the
 * handler and `reason`; no new step starts until someone resumes the run, then this step runs.
 * Answered at `before-step` only; anywhere else it is reported as an invalid answer.
 */
export interface Suspend {
  readonly signal: "suspend";
  readonly reason: string;
}

/** What a control handler answers. */
export type ControlAnswer = Proceed | Skip | Retry | Fallback | Fail | Suspend;

/** An answer and the handler that gave it (`handler` is absent only for the default PROCEED). */
export type ControlDecision = ControlAnswer & { readonly handler?: string };

/** Where in a run the engine is asking. */
export type DecisionPoint =
  | "before-run"
  | "before-step"
  | "after-step-failure"
  | "after-tool-failure"
  | "after-llm-failure";

/** What a handler knows when it is asked. Read-only. */
export interface ControlContext {
  readonly point: DecisionPoint;
  readonly runId: string;
  readonly accountId: string;
  readonly workflow: { readonly name: string; readonly version?: string };
  readonly stepId?: string;
  /** The attempt that is about to run (before-step) or that just failed (after-*-failure); 1-based. */
  readonly attempt: number;
  /** The failure being decided on, at after-*-failure points. */
  readonly error?: ErrorInfo;
  /** The run's events so far, in seq order. */
  readonly history: readonly RuntrailEvent[];
}

/** What the engine needs from control: one question per decision point. */
export interface ControlPort {
  check(event: RuntrailEvent, ctx: ControlContext): Promise<ControlDecision>;
}
