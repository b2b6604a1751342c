/** Run lifecycle: started, then exactly one of completed, failed or cancelled; suspend/resume between. */
import { Type } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";
import { Decision, DurationMs, ErrorInfo, Json } from "../fields.js";
import { RunGraph } from "./run-graph.js";

export const RunStarted = defineEvent(
  "run.started",
  {
    input: Type.Optional(Json),
    /** How many top-level steps the workflow has: the total of the run's progress. */
    totalSteps: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The workflow's steps and their dependencies, so a viewer can draw the real graph. */
    graph: Type.Optional(RunGraph),
  },
  "a run began",
);
export const RunCompleted = defineEvent(
  "run.completed",
  {
    output: Type.Optional(Json),
    durationMs: DurationMs,
    /** Set when a control handler skipped the whole run (before-run SKIP); `output` is its value. */
    decision: Type.Optional(Decision),
  },
  "a run finished successfully",
);
/** The step whose failure failed the run (absent when the run failed elsewhere: a timeout, a veto). */
const FailedStep = Type.Object(
  {
    stepId: Type.String(),
    attempt: Type.Integer({ minimum: 1 }),
    path: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }))),
  },
  { additionalProperties: false },
);

export const RunFailed = defineEvent(
  "run.failed",
  { error: ErrorInfo, durationMs: DurationMs, decision: Type.Optional(Decision), failedStep: Type.Optional(FailedStep) },
  "a run finished with an error",
);
export const RunCancelled = defineEvent(
  "run.cancelled",
  { reason: Type.Optional(Type.String()), durationMs: DurationMs },
  "a run was stopped before it finished",
);
export const RunSuspended = defineEvent(
  "run.suspended",
  { reason: Type.Optional(Type.String()) },
  "a run paused, waiting for something outside it",
);
export const RunResumed = defineEvent("run.resumed", {}, "a suspended run went on");

export const runEvents = [RunStarted, RunCompleted, RunFailed, RunCancelled, RunSuspended, RunResumed] as const;
