/**
 * A run's state as a pure reducer over its events. Status-specific data lives inside each status
 * (XState style): `output` exists only on a completed run, `error` only on a failed one. Which
 * event sets which status is the table in `run-status.ts`, which the store's rows use too.
 */
import type { RuntrailEvent } from "../events/index.js";
import type { Decision, ErrorInfo, Metrics, WorkflowRef } from "../events/index.js";
import type { Progress } from "../events/index.js";
import { NO_PROGRESS, reduceProgress } from "./progress-reducer.js";
import { RUN_STATUS_OF, STEP_STATUS_OF, type RunStatus, type StepStatus } from "./run-status.js";

interface StepBase {
  readonly stepId: string;
  /** Loop iteration indices, for steps inside loops. */
  readonly path?: readonly number[];
  /** Attempts started so far. */
  readonly attempts: number;
  /** Duration of each finished attempt, in order. */
  readonly durationsMs: readonly number[];
  /** When the first attempt started (its `step.started`; a skip's own time for a skipped step). */
  readonly startedAt?: number;
  /** When the first attempt became runnable, when it had to wait for a slot (`step.started.queuedMs`). */
  readonly queuedAt?: number;
  /** Time every attempt waited, runnable, for a concurrency slot, summed (absent when none waited). */
  readonly queuedMs?: number;
  /** When the latest attempt ended (completed, failed or skipped). */
  readonly endedAt?: number;
  readonly metrics?: Metrics;
  readonly issues?: readonly string[];
}

/**
 * One step's state.
 * @example
 * const s = state.steps.fetch; if (s?.status === "failed") console.log(s.error.message, s.attempts);
 */
export type StepState =
  | (StepBase & { readonly status: "running" })
  | (StepBase & { readonly status: "completed"; readonly output: unknown; readonly durationMs: number; readonly fallback?: Decision })
  | (StepBase & { readonly status: "failed"; readonly error: ErrorInfo; readonly durationMs: number })
  | (StepBase & { readonly status: "retrying"; readonly error: ErrorInfo; readonly nextAttempt: number; readonly delayMs: number })
  | (StepBase & { readonly status: "skipped"; readonly reason: string; readonly output?: unknown; readonly decision?: Decision });

interface RunBase {
  readonly runId: string;
  readonly accountId: string;
  readonly workflow: WorkflowRef;
  readonly parentRunId?: string;
  readonly input?: unknown;
  readonly startedAt: number;
  /** The seq of the last event applied. */
  readonly lastSeq: number;
  /** By step id; a step inside a loop is keyed `id@i.j` with its iteration path. */
  readonly steps: Readonly<Record<string, StepState>>;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly progress: Progress;
}

/**
 * A run's state.
 * @example
 * if (state.status === "completed") use(state.output); else if (state.status === "failed") report(state.error);
 */
export type RunState =
  | (RunBase & { readonly status: "running" })
  | (RunBase & { readonly status: "suspended"; readonly reason?: string })
  | (RunBase & { readonly status: "completed"; readonly output: unknown; readonly endedAt: number; readonly durationMs: number; readonly decision?: Decision })
  | (RunBase & { readonly status: "failed"; readonly error: ErrorInfo; readonly endedAt: number; readonly durationMs: number; readonly decision?: Decision })
  | (RunBase & { readonly status: "cancelled"; readonly reason?: string; readonly endedAt: number; readonly durationMs: number });

/**
 * The key of a step in {@link RunState.steps}: its id, plus `@` and the path inside loops.
 * @example
 * stepKey("resize", [2]) // "resize@2"
 */
export function stepKey(stepId: string, path: readonly number[] | undefined): string {
  return path === undefined || path.length === 0 ? stepId : `${stepId}@${path.join(".")}`;
}

// The unions above are written out for their per-status data; their statuses are the table's words.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Agree<T extends true> = T;
/** Fails to compile when a status union and the table disagree (exported only so it counts as used). */
export type StatusesAgree = [Agree<Same<RunState["status"], RunStatus>>, Agree<Same<StepState["status"], StepStatus>>];

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<RunBase> & { status: RunState["status"]; steps: Record<string, StepState>; variables: Record<string, unknown> } & Record<string, unknown>;

function open(event: RuntrailEvent): Draft {
  const draft: Draft = {
    status: "running",
    runId: event.runId,
    accountId: event.accountId,
    workflow: event.workflow,
    startedAt: event.ts,
    lastSeq: 0,
    steps: {},
    variables: {},
    progress: NO_PROGRESS,
  };
  if (event.parentRunId !== undefined) draft.parentRunId = event.parentRunId;
  return draft;
}

function base(previous: StepState | undefined, event: RuntrailEvent): StepBase {
  const b: Mutable<StepBase> = {
    stepId: event.stepId!,
    attempts: previous?.attempts ?? 0,
    durationsMs: previous?.durationsMs ?? [],
  };
  if (event.path !== undefined) b.path = event.path;
  if (previous?.startedAt !== undefined) b.startedAt = previous.startedAt;
  if (previous?.queuedAt !== undefined) b.queuedAt = previous.queuedAt;
  if (previous?.queuedMs !== undefined) b.queuedMs = previous.queuedMs;
  if (previous?.endedAt !== undefined) b.endedAt = previous.endedAt;
  return b;
}

/** The times of a step.started: the first start, and the queue time it reports. */
function startTimes(b: Mutable<StepBase>, event: RuntrailEvent & { type: "step.started" }): void {
  const queued = event.queuedMs;
  if (b.startedAt === undefined) {
    b.startedAt = event.ts;
    if (queued !== undefined) b.queuedAt = event.ts - queued;
  }
  if (queued !== undefined) b.queuedMs = (b.queuedMs ?? 0) + queued;
}

function ended(b: StepBase, event: RuntrailEvent): Mutable<StepBase> {
  return { ...b, endedAt: event.ts };
}

function withReport(b: StepBase, metrics: Metrics | undefined, issues: readonly string[] | undefined): StepBase {
  const out: Mutable<StepBase> = { ...b };
  if (metrics !== undefined) out.metrics = metrics;
  if (issues !== undefined) out.issues = issues;
  return out;
}

/** Applies one event to a draft the caller owns. Shared by the pure and the batch paths. */
function apply(draft: Draft, event: RuntrailEvent): void {
  draft.lastSeq = event.seq;
  draft.progress = reduceProgress(draft.progress, event);
  if (event.stepId !== undefined && event.type.startsWith("step.")) {
    const key = stepKey(event.stepId, event.path);
    const previous = draft.steps[key];
    const b = base(previous, event);
    switch (event.type) {
      case "step.started":
        startTimes(b, event);
        draft.steps[key] = { ...b, status: STEP_STATUS_OF[event.type], attempts: event.attempt ?? b.attempts + 1 };
        return;
      case "step.completed": {
        const s = withReport(ended(b, event), event.metrics, event.issues);
        const durationsMs = event.fallback === undefined ? [...b.durationsMs, event.durationMs] : b.durationsMs;
        const done = { ...s, durationsMs, status: STEP_STATUS_OF[event.type], output: event.output, durationMs: event.durationMs };
        draft.steps[key] = event.fallback === undefined ? done : { ...done, fallback: event.fallback };
        return;
      }
      case "step.failed": {
        const s = withReport(ended(b, event), event.metrics, event.issues);
        draft.steps[key] = { ...s, durationsMs: [...b.durationsMs, event.durationMs], status: STEP_STATUS_OF[event.type], error: event.error, durationMs: event.durationMs };
        return;
      }
      case "step.retrying":
        draft.steps[key] = { ...b, status: STEP_STATUS_OF[event.type], error: event.error, nextAttempt: event.nextAttempt, delayMs: event.delayMs };
        return;
      case "step.skipped": {
        const skipped: Mutable<StepState & { status: "skipped" }> = { ...ended(b, event), status: STEP_STATUS_OF[event.type], reason: event.reason };
        skipped.startedAt ??= event.ts;
        if (event.output !== undefined) skipped.output = event.output;
        if (event.decision !== undefined) skipped.decision = event.decision;
        draft.steps[key] = skipped;
        return;
      }
      default:
        return;
    }
  }
  switch (event.type) {
    case "run.started":
      draft.status = RUN_STATUS_OF[event.type];
      draft.startedAt = event.ts;
      if (event.input !== undefined) draft.input = event.input;
      return;
    case "variable.changed":
      draft.variables[event.variable.name] = event.variable.new;
      return;
    case "run.suspended":
      draft.status = RUN_STATUS_OF[event.type];
      if (event.reason !== undefined) draft.reason = event.reason;
      return;
    case "run.resumed":
      draft.status = RUN_STATUS_OF[event.type];
      delete draft.reason;
      return;
    case "run.completed":
      Object.assign(draft, { status: RUN_STATUS_OF[event.type], output: event.output, endedAt: event.ts, durationMs: event.durationMs });
      if (event.decision !== undefined) draft.decision = event.decision;
      return;
    case "run.failed":
      Object.assign(draft, { status: RUN_STATUS_OF[event.type], error: event.error, endedAt: event.ts, durationMs: event.durationMs });
      if (event.decision !== undefined) draft.decision = event.decision;
      return;
    case "run.cancelled":
      Object.assign(draft, { status: RUN_STATUS_OF[event.type], endedAt: event.ts, durationMs: event.durationMs });
      if (event.reason !== undefined) draft.reason = event.reason;
      return;
    default:
      return;
  }
}

/**
 * The state after `event`, as a new object (the input is never changed). Events of another run
 * are ignored. Each call copies the steps map, so for a whole history use {@link projectRun}.
 *
 * @example
 * let state: RunState | undefined;
 * bus.onEvent((e) => { state = reduceRun(state, e); }, { runId });
 */
export function reduceRun(state: RunState | undefined, event: RuntrailEvent): RunState | undefined {
  if (state !== undefined && event.runId !== state.runId) return state;
  const draft = state === undefined ? open(event) : copy(state);
  apply(draft, event);
  return draft as unknown as RunState;
}

/** A draft to apply events to; `state` itself stays untouched. */
function copy(state: RunState): Draft {
  return { ...state, steps: { ...state.steps }, variables: { ...state.variables } } as unknown as Draft;
}

/**
 * A run's state from its events in seq order: the same answer for a live, stored or replayed
 * run. Linear in the number of events. Undefined for no events. Pass the state after earlier
 * events as `from` to go on from there (page by page), without touching it.
 *
 * @example
 * const state = projectRun(page2.map((s) => s.event), projectRun(page1.map((s) => s.event)));
 * if (state?.status === "failed") console.log(state.error.message);
 */
export function projectRun(events: Iterable<RuntrailEvent>, from?: RunState): RunState | undefined {
  let draft: Draft | undefined = from === undefined ? undefined : copy(from);
  for (const event of events) {
    if (draft === undefined) draft = open(event);
    else if (event.runId !== draft.runId) continue;
    apply(draft, event);
  }
  return draft as unknown as RunState | undefined;
}
