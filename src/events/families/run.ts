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
/** The wait a step is in (`ctx.waitFor`): which step, and what the signal must be and by when. */
const Wait = Type.Object(
  {
    stepId: Type.String(),
    attempt: Type.Integer({ minimum: 1 }),
    path: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }))),
    /** Which `waitFor` of the attempt (0 for its first), so a resumed step finds its own signal. */
    index: Type.Integer({ minimum: 0 }),
    timeoutMs: Type.Optional(Type.Number({ minimum: 0 })),
    /** Epoch ms after which the wait times out (`ts` + `timeoutMs`). */
    deadline: Type.Optional(Type.Number()),
    /** What the timeout does: fail the step, or resume it with `timeoutValue`. */
    onTimeout: Type.Optional(Type.Union([Type.Literal("fail"), Type.Literal("resume")])),
    /** The JSON Schema the signal's payload must match (checked wherever the signal arrives). */
    schema: Type.Optional(Json),
    /**
     * Set on a parent run's `run.suspended` when the waiting step is in one of its sub-workflow
     * runs: that run's id (its own trail has the wait; the fields above are its step's).
     */
    runId: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const RunSuspended = defineEvent(
  "run.suspended",
  {
    reason: Type.Optional(Type.String()),
    /** Who asked: `caller`, an API token's name, `control:<handler>`, `step:<stepId>`. */
    by: Type.Optional(Type.String()),
    /** The signal a step waits for (`ctx.waitFor(name)`); absent for a pause asked from outside. */
    waitingFor: Type.Optional(Type.String()),
    wait: Type.Optional(Wait),
    /** Set when a control handler answered `suspend`. */
    decision: Type.Optional(Decision),
  },
  "a run paused: no new step starts until it resumes",
);
export const RunResumed = defineEvent(
  "run.resumed",
  {
    reason: Type.Optional(Type.String()),
    by: Type.Optional(Type.String()),
    /** The signal (or its timeout) that ended the wait, when a wait ended. */
    signal: Type.Optional(Type.String()),
  },
  "a suspended run went on",
);

export const runEvents = [RunStarted, RunCompleted, RunFailed, RunCancelled, RunSuspended, RunResumed] as const;
