/**
 * The run as the run view shows it: the store's run and step records (`GET /api/runs/:id`), the
 * waves, and the variables, moved forward by events. The live stream and time travel both apply
 * events through {@link applyEvents}, so the state at a past seq and the live state are computed
 * the same way. (The core's `reduceRun` keeps no start and end times, which the timeline needs.)
 */
import type { Run, RuntrailEvent, Step } from "../api/api-types.js";
import { keyOf } from "../common/format.js";

export interface Wave {
  readonly wave: number;
  readonly stepIds: readonly string[];
  readonly startedAt: number;
  readonly endedAt?: number;
}

export interface RunModel {
  readonly run: Run;
  /** By step key (`id`, or `id@i.j` inside loops), in first-seen order. */
  readonly steps: ReadonlyMap<string, Step>;
  readonly waves: readonly Wave[];
  readonly variables: Readonly<Record<string, unknown>>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** An empty model for replaying `run` from its first event. */
export function emptyModel(run: Run): RunModel {
  const { progress: _p, error: _e, endedAt: _end, durationMs: _d, ...rest } = run;
  const base: Run = { ...rest, status: "running", lastSeq: 0, eventCount: 0, stepsCompleted: 0, stepsFailed: 0, stepsSkipped: 0, retries: 0, issueCount: 0 };
  return { run: base, steps: new Map(), waves: [], variables: {} };
}

function applyStep(steps: Map<string, Step>, run: Mutable<Run>, e: RuntrailEvent): void {
  if (e.stepId === undefined) return;
  const key = keyOf(e.stepId, e.path);
  const old = steps.get(key);
  const s: Mutable<Step> = old === undefined ? { runId: e.runId, stepId: e.stepId, path: e.path ?? [], status: "running", attempts: 0, totalDurationMs: 0, failures: 0 } : { ...old };
  // As the store's projection (store-projection.ts): counts and attempts follow the same rules.
  s.attempts = Math.max(s.attempts, e.attempt ?? 1);
  switch (e.type) {
    case "step.started":
      // One vocabulary with the API and the store (projections/run-status.ts): a started step is running.
      s.status = "running";
      s.startedAt ??= e.ts;
      break;
    case "step.running":
      s.status = "running";
      break;
    case "step.completed":
      Object.assign(s, { status: "completed", endedAt: e.ts, durationMs: e.durationMs, totalDurationMs: s.totalDurationMs + e.durationMs });
      run.stepsCompleted += 1;
      run.issueCount += e.issues?.length ?? 0;
      break;
    case "step.failed":
      Object.assign(s, { status: "failed", endedAt: e.ts, durationMs: e.durationMs, totalDurationMs: s.totalDurationMs + e.durationMs, failures: s.failures + 1, error: e.error });
      run.stepsFailed += 1;
      run.issueCount += e.issues?.length ?? 0;
      break;
    case "step.retrying":
      run.retries += 1;
      s.status = "retrying";
      break;
    case "step.skipped":
      Object.assign(s, { status: "skipped", endedAt: e.ts });
      s.startedAt ??= e.ts;
      run.stepsSkipped += 1;
      break;
    default:
      return;
  }
  steps.set(key, s);
}

/**
 * The model after `events` (in seq order; events at or below the model's seq are ignored).
 *
 * @example
 * const next = applyEvents(model, batch);
 */
export function applyEvents(model: RunModel, events: readonly RuntrailEvent[]): RunModel {
  const run: Mutable<Run> = { ...model.run };
  // The steps map is copied only when a step event changes it, so a burst of other events
  // (custom, progress) leaves the graph and the timeline as they were: no re-render.
  let steps = model.steps as Map<string, Step>;
  let copied = false;
  let waves = model.waves;
  let variables = model.variables;
  for (const e of events) {
    if (e.seq <= run.lastSeq) continue;
    run.lastSeq = e.seq;
    run.eventCount += 1;
    run.lastEventAt = e.ts;
    if (e.type.startsWith("step.")) {
      if (!copied) steps = new Map(steps);
      copied = true;
      applyStep(steps, run, e);
    }
    else if (e.type === "wave.started") waves = [...waves, { wave: e.wave, stepIds: e.stepIds, startedAt: e.ts }];
    else if (e.type === "wave.completed") waves = waves.map((w) => (w.wave === e.wave && w.endedAt === undefined ? { ...w, endedAt: e.ts } : w));
    else if (e.type === "variable.changed") variables = { ...variables, [e.variable.name]: e.variable.new };
    else if (e.type === "progress.updated") run.progress = e.progress;
    else if (e.type === "run.started") Object.assign(run, { status: "running", startedAt: e.ts });
    else if (e.type === "run.completed") Object.assign(run, { status: "completed", endedAt: e.ts, durationMs: e.durationMs });
    else if (e.type === "run.failed") Object.assign(run, { status: "failed", endedAt: e.ts, durationMs: e.durationMs, error: e.error });
    else if (e.type === "run.cancelled") Object.assign(run, { status: "cancelled", endedAt: e.ts, durationMs: e.durationMs });
    else if (e.type === "run.suspended") run.status = "suspended";
    else if (e.type === "run.resumed") run.status = "running";
  }
  return { run, steps, waves, variables };
}
