/**
 * The runs and steps tables as projections of events, computed per batch. A batch folds into one
 * delta per run and per step, which each adapter applies with a single upsert that merges into
 * the stored row (counts add, "latest" fields win by seq), so a batch costs one statement per
 * table however many events it holds. Statuses come from the one table of `projections/run-status.ts`,
 * which the run-state reducer uses too.
 */
import type { RuntrailEvent } from "../events/index.js";
import { runStatusOf, stepStatusOf } from "../projections/index.js";
import type { PreparedEvent, RunDelta, RunSuspension, StepDelta } from "./store-types.js";

/** A wait's schema above this many characters of JSON stays in the event only: the runs row is rewritten every batch. */
const SCHEMA_IN_ROW_MAX = 16_384;

/**
 * The run and step deltas of a batch of events (in seq order per run).
 *
 * @example
 * const { runs, steps } = projectBatch(prepared);
 */
export function projectBatch(events: readonly PreparedEvent[]): { runs: RunDelta[]; steps: StepDelta[] } {
  const runs = new Map<string, RunDelta>();
  const steps = new Map<string, StepDelta>();
  for (const { event } of events) {
    let run = runs.get(event.runId);
    if (run === undefined) {
      run = newRun(event);
      runs.set(event.runId, run);
    }
    foldRun(run, event);
    if (event.stepId !== undefined && event.type.startsWith("step.")) {
      const path = event.path === undefined ? "[]" : JSON.stringify(event.path);
      const key = `${event.runId}\u0000${event.stepId}\u0000${path}`;
      let step = steps.get(key);
      if (step === undefined) {
        step = newStep(event, event.stepId, path);
        steps.set(key, step);
      }
      foldStep(step, event);
    }
  }
  return { runs: [...runs.values()], steps: [...steps.values()] };
}

function newRun(event: RuntrailEvent): RunDelta {
  return {
    runId: event.runId,
    accountId: event.accountId,
    workflowName: event.workflow.name,
    workflowVersion: event.workflow.version ?? null,
    parentRunId: event.parentRunId ?? null,
    status: "running",
    statusSeq: 0,
    startedAt: event.ts,
    lastEventAt: event.ts,
    endedAt: null,
    durationMs: null,
    lastSeq: 0,
    events: 0,
    progress: null,
    error: null,
    stepsCompleted: 0,
    stepsFailed: 0,
    stepsSkipped: 0,
    retries: 0,
    issues: 0,
    parentStepId: event.parentStepId ?? null,
    suspension: null,
  };
}

/** The row's record of a `run.suspended`: who, why, and the wait (its schema if small). */
function suspensionOf(event: Extract<RuntrailEvent, { type: "run.suspended" }>): string {
  const out: { -readonly [K in keyof RunSuspension]: RunSuspension[K] } = { since: event.ts, seq: event.seq };
  if (event.reason !== undefined) out.reason = event.reason;
  if (event.by !== undefined) out.by = event.by;
  if (event.waitingFor !== undefined) out.waitingFor = event.waitingFor;
  const wait = event.wait;
  if (wait !== undefined) {
    out.stepId = wait.stepId;
    if (wait.timeoutMs !== undefined) out.timeoutMs = wait.timeoutMs;
    if (wait.deadline !== undefined) out.deadline = wait.deadline;
    if (wait.schema !== undefined && JSON.stringify(wait.schema).length <= SCHEMA_IN_ROW_MAX) out.schema = wait.schema;
  }
  return JSON.stringify(out);
}

function foldRun(run: RunDelta, event: RuntrailEvent): void {
  run.events++;
  if (event.seq > run.lastSeq) run.lastSeq = event.seq;
  if (event.ts > run.lastEventAt) run.lastEventAt = event.ts;
  const status = runStatusOf(event.type);
  if (status !== undefined) {
    run.status = status;
    run.statusSeq = event.seq;
    // Merged with the status (latest status seq wins), so any later status change clears it.
    run.suspension = event.type === "run.suspended" ? suspensionOf(event) : null;
    // What a lease holder's sweep wakes the run at, should no process hold it then.
    const deadline = event.type === "run.suspended" ? event.wait?.deadline : undefined;
    run.wakeAt = typeof deadline === "number" ? deadline : null;
  }
  switch (event.type) {
    case "run.started":
      run.startedAt = Math.min(run.startedAt, event.ts);
      break;
    case "run.completed":
    case "run.cancelled":
      run.endedAt = event.ts;
      run.durationMs = numberOr(event.durationMs, null);
      break;
    case "run.failed":
      run.endedAt = event.ts;
      run.durationMs = numberOr(event.durationMs, null);
      run.error = JSON.stringify(event.error);
      break;
    case "progress.updated":
      run.progress = JSON.stringify(event.progress);
      break;
    case "step.completed":
      run.stepsCompleted++;
      run.issues += event.issues?.length ?? 0;
      break;
    case "step.failed":
      run.stepsFailed++;
      run.issues += event.issues?.length ?? 0;
      break;
    case "step.skipped":
      run.stepsSkipped++;
      break;
    case "step.retrying":
      run.retries++;
      break;
    default:
      break;
  }
}

function newStep(event: RuntrailEvent, stepId: string, path: string): StepDelta {
  return {
    runId: event.runId,
    accountId: event.accountId,
    stepId,
    path,
    status: "running",
    statusSeq: 0,
    attempts: 0,
    startedAt: null,
    endedAt: null,
    durationMs: null,
    totalDurationMs: 0,
    failures: 0,
    error: null,
  };
}

function foldStep(step: StepDelta, event: RuntrailEvent): void {
  const status = stepStatusOf(event.type);
  if (status !== undefined) {
    step.status = status;
    step.statusSeq = event.seq;
  }
  step.attempts = Math.max(step.attempts, numberOr(event.attempt, 1));
  switch (event.type) {
    case "step.started":
      if (step.startedAt === null) step.startedAt = event.ts;
      break;
    case "step.completed":
      step.endedAt = event.ts;
      step.durationMs = numberOr(event.durationMs, null);
      step.totalDurationMs += numberOr(event.durationMs, 0);
      break;
    case "step.failed":
      step.endedAt = event.ts;
      step.durationMs = numberOr(event.durationMs, null);
      step.totalDurationMs += numberOr(event.durationMs, 0);
      step.failures++;
      step.error = JSON.stringify(event.error);
      break;
    case "step.skipped":
      step.endedAt = event.ts;
      break;
    default:
      break;
  }
}

/**
 * A number field as the columns can hold it. Events are JSON-safe by now, so a NaN the producer
 * put in `durationMs` is a marker object here: a column must get a number or null, never that.
 */
function numberOr<T>(value: unknown, fallback: T): number | T {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}
