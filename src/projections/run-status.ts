/**
 * The one vocabulary of run and step status, and the one table from event type to status. The
 * run-state reducer, the store's runs and steps rows and the HTTP API all use these words, so a
 * live, stored or served run says "running" the same way.
 */

/** Every run status, in lifecycle order. */
export const RUN_STATUSES = ["running", "suspended", "completed", "failed", "cancelled"] as const;

/** A run's lifecycle status, as projected from its events. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Every step status. */
export const STEP_STATUSES = ["running", "completed", "failed", "skipped", "retrying"] as const;

/** A step's status, as projected from its latest step event. */
export type StepStatus = (typeof STEP_STATUSES)[number];

/**
 * The run status each run event moves a run to; other events leave it as it is.
 *
 * @example
 * RUN_STATUS_OF["run.resumed"] // "running"
 */
export const RUN_STATUS_OF = {
  "run.started": "running",
  "run.resumed": "running",
  "run.suspended": "suspended",
  "run.completed": "completed",
  "run.failed": "failed",
  "run.cancelled": "cancelled",
} as const satisfies Record<`run.${string}`, RunStatus>;

/**
 * The step status each step event moves a step to: a started step is `running` (the API's word).
 *
 * @example
 * STEP_STATUS_OF["step.started"] // "running"
 */
export const STEP_STATUS_OF = {
  "step.started": "running",
  "step.running": "running",
  "step.completed": "completed",
  "step.failed": "failed",
  "step.skipped": "skipped",
  "step.retrying": "retrying",
} as const satisfies Record<`step.${string}`, StepStatus>;

/**
 * The status an event of this type moves its run to, or undefined.
 *
 * @example
 * runStatusOf("run.failed") // "failed"; runStatusOf("step.failed") // undefined
 */
export function runStatusOf(type: string): RunStatus | undefined {
  // A plain lookup (this runs per stored event): event types are dotted, so none is a name
  // `Object.prototype` holds.
  return (RUN_STATUS_OF as Partial<Record<string, RunStatus>>)[type];
}

/**
 * The status an event of this type moves its step to, or undefined.
 *
 * @example
 * stepStatusOf("step.started") // "running"
 */
export function stepStatusOf(type: string): StepStatus | undefined {
  return (STEP_STATUS_OF as Partial<Record<string, StepStatus>>)[type];
}

/**
 * Whether a run with this status has ended (it will get no more events).
 *
 * @example
 * isRunFinished("cancelled") // true
 */
export function isRunFinished(status: RunStatus): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}
