/**
 * The run as the run view shows it: the core's own fold (`projectRun` of runtrail/projections:
 * status, steps with their attempts, times and queue time, variables, progress), the waves and
 * the workflow's graph (from `run.started`). The live stream and time travel both move it with
 * {@link applyEvents}, so the state at a past seq and the live state are computed the same way,
 * and the same way as everywhere else in Runtrail.
 */
import type { RunGraph, RuntrailEvent } from "../../../src/events/index.js";
import { NO_PROGRESS, projectRun, stepKey, type RunState, type StepState } from "../../../src/projections/index.js";
import type { Run, RunSummary, Step } from "../api/api-types.js";

export interface Wave {
  readonly wave: number;
  readonly stepIds: readonly string[];
  readonly startedAt: number;
  readonly endedAt?: number;
}

export interface RunModel {
  /** The store's row of the run, as read when the view opened (what no event says: account, event count). */
  readonly record: Run;
  readonly state: RunState;
  /** Top-level waves. */
  readonly waves: readonly Wave[];
  readonly graph: RunGraph | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A step's state from its store row (the row keeps the last duration and the sum: earlier attempts become one). */
function stepFromRow(row: Step): StepState {
  const earlier = row.durationMs === undefined ? 0 : row.totalDurationMs - row.durationMs;
  const base: Mutable<StepState & { status: "running" }> = {
    stepId: row.stepId,
    status: "running",
    attempts: row.attempts,
    durationsMs: row.durationMs === undefined ? [] : earlier > 0 ? [earlier, row.durationMs] : [row.durationMs],
  };
  if (row.path.length > 0) base.path = row.path;
  if (row.startedAt !== undefined) base.startedAt = row.startedAt;
  if (row.endedAt !== undefined) base.endedAt = row.endedAt;
  const error = row.error === undefined ? { name: "Error", message: "" } : { name: row.error.name ?? "Error", message: row.error.message };
  switch (row.status) {
    case "completed":
      return { ...base, status: "completed", output: undefined, durationMs: row.durationMs ?? 0 };
    case "failed":
      return { ...base, status: "failed", error, durationMs: row.durationMs ?? 0 };
    case "retrying":
      return { ...base, status: "retrying", error, nextAttempt: row.attempts + 1, delayMs: 0 };
    case "skipped":
      return { ...base, status: "skipped", reason: "" };
    default:
      return base;
  }
}

/**
 * The state the store's rows give (a big run opens from them, not from its whole trail): the
 * same shape the fold makes, so live events go on from it through the fold.
 */
export function stateFromRows(summary: RunSummary, variables: Readonly<Record<string, unknown>>): RunState {
  const { run } = summary;
  const steps: Record<string, StepState> = {};
  for (const row of summary.steps) steps[stepKey(row.stepId, row.path)] = stepFromRow(row);
  const base = {
    runId: run.runId, accountId: run.accountId, workflow: run.workflow, startedAt: run.startedAt, lastSeq: run.lastSeq,
    steps, variables, progress: run.progress ?? NO_PROGRESS, ...(run.parentRunId === undefined ? {} : { parentRunId: run.parentRunId }),
  };
  const ended = { endedAt: run.endedAt ?? run.lastEventAt, durationMs: run.durationMs ?? run.lastEventAt - run.startedAt };
  switch (run.status) {
    case "completed":
      return { ...base, ...ended, status: "completed", output: undefined };
    case "failed":
      return { ...base, ...ended, status: "failed", error: { name: run.error?.name ?? "Error", message: run.error?.message ?? "" } };
    case "cancelled":
      return { ...base, ...ended, status: "cancelled" };
    case "suspended":
      return { ...base, status: "suspended" };
    default:
      return { ...base, status: "running" };
  }
}

/** An empty model for replaying the run from its first event (time travel). */
export function emptyModel(record: Run): RunModel {
  const state: RunState = { runId: record.runId, accountId: record.accountId, workflow: record.workflow, startedAt: record.startedAt, lastSeq: 0, steps: {}, variables: {}, progress: NO_PROGRESS, status: "running" };
  return { record, state, waves: [], graph: undefined };
}

/**
 * The model after `events` (in seq order; events at or below the model's seq are ignored).
 * The steps keep their identity when no step event came, so the graph and timeline skip a burst
 * of other events (custom, progress) without re-rendering.
 *
 * @example
 * const next = applyEvents(model, batch);
 */
export function applyEvents(model: RunModel, events: readonly RuntrailEvent[]): RunModel {
  const last = model.state.lastSeq;
  const fresh = events[0] !== undefined && events[0].seq > last ? events : events.filter((e) => e.seq > last);
  if (fresh.length === 0) return model;
  let state = projectRun(fresh, model.state)!;
  if (!fresh.some((e) => e.type.startsWith("step."))) state = { ...state, steps: model.state.steps };
  let { waves, graph } = model;
  for (const e of fresh) {
    if (e.type === "run.started" && e.graph !== undefined) graph = e.graph;
    else if (e.path !== undefined) continue;
    else if (e.type === "wave.started") waves = [...waves, { wave: e.wave, stepIds: e.stepIds, startedAt: e.ts }];
    else if (e.type === "wave.completed") waves = waves.map((w) => (w.wave === e.wave && w.endedAt === undefined ? { ...w, endedAt: e.ts } : w));
  }
  return { record: model.record, state, waves, graph };
}

/** Counts the fold's steps give: for the run panel, at any seq. */
export function stepCounts(state: RunState): { completed: number; failed: number; skipped: number; retries: number; issues: number } {
  const counts = { completed: 0, failed: 0, skipped: 0, retries: 0, issues: 0 };
  for (const s of Object.values(state.steps)) {
    if (s.status === "completed") counts.completed += 1;
    else if (s.status === "failed") counts.failed += 1;
    else if (s.status === "skipped") counts.skipped += 1;
    counts.retries += Math.max(0, s.attempts - 1);
    counts.issues += s.issues?.length ?? 0;
  }
  return counts;
}

/** When the run ended (its terminal event), if it has. */
export function endedAt(state: RunState): number | undefined {
  return state.status === "completed" || state.status === "failed" || state.status === "cancelled" ? state.endedAt : undefined;
}
