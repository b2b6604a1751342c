/** Step lifecycle: started, running, then completed, failed or skipped; retrying between attempts. */
import { Type } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";
import { Decision, DurationMs, ErrorInfo, Issues, Json, Metrics } from "../fields.js";

export const StepStarted = defineEvent(
  "step.started",
  {
    input: Type.Optional(Json),
    /**
     * How long this attempt waited, runnable, for one of the run's concurrency slots before it
     * started (absent when it got one at once): its queue time, apart from its run time.
     */
    queuedMs: Type.Optional(DurationMs),
  },
  "a step's attempt started",
);
export const StepRunning = defineEvent("step.running", {}, "a step's code began to run");
export const StepCompleted = defineEvent(
  "step.completed",
  {
    output: Type.Optional(Json),
    durationMs: DurationMs,
    metrics: Type.Optional(Metrics),
    issues: Type.Optional(Issues),
    /** Set when the output is a control handler's fallback value, not the step's own. */
    fallback: Type.Optional(Decision),
  },
  "a step finished successfully",
);
export const StepFailed = defineEvent(
  "step.failed",
  { error: ErrorInfo, durationMs: DurationMs, metrics: Type.Optional(Metrics), issues: Type.Optional(Issues) },
  "a step's attempt failed",
);
export const StepSkipped = defineEvent(
  "step.skipped",
  {
    reason: Type.String(),
    /** The control handler that decided the skip, when one did. */
    decision: Type.Optional(Decision),
    output: Type.Optional(Json),
  },
  "a step did not run",
);
export const StepRetrying = defineEvent(
  "step.retrying",
  {
    error: ErrorInfo,
    delayMs: Type.Number({ minimum: 0 }),
    nextAttempt: Type.Integer({ minimum: 2 }),
    decision: Type.Optional(Decision),
  },
  "a failed step will run again",
);

export const stepEvents = [StepStarted, StepRunning, StepCompleted, StepFailed, StepSkipped, StepRetrying] as const;
