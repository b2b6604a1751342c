/**
 * The live view's state as a pure reducer over events, a frame's batch at a time. Run and step
 * state come from the run-state projection (the same answer a stored or replayed run gives); this
 * adds only what a terminal window shows and the projection does not keep: the open wave and
 * loops, tool and LLM calls in flight, the order variables changed in, and the finished lines
 * that scroll above the window.
 */
import { projectRun, stepKey, type RunState } from "../../projections/index.js";
import type { Decision, ErrorInfo, RuntrailEvent } from "../../events/index.js";

/** A line that scrolls above the window: something finished, failed or was decided. */
export type ViewLine =
  | { readonly kind: "step-completed"; readonly runId: string; readonly step: string; readonly durationMs: number; readonly attempt: number; readonly fallback?: Decision }
  | { readonly kind: "step-failed"; readonly runId: string; readonly step: string; readonly error: ErrorInfo; readonly attempt: number }
  | { readonly kind: "step-retrying"; readonly runId: string; readonly step: string; readonly error: ErrorInfo; readonly nextAttempt: number; readonly delayMs: number; readonly decision?: Decision }
  | { readonly kind: "step-skipped"; readonly runId: string; readonly step: string; readonly reason: string; readonly decision?: Decision }
  | { readonly kind: "call-failed"; readonly runId: string; readonly step: string; readonly call: string; readonly error: ErrorInfo }
  | { readonly kind: "run-ended"; readonly runId: string; readonly state: RunState };

/** A tool or LLM call that has not answered yet. */
export interface OpenCall {
  readonly runId: string;
  readonly step: string;
  readonly label: string;
  readonly since: number;
}

/** What the window shows. */
export interface ViewState {
  /** The first run seen; sub-workflow runs are drawn under it. */
  readonly rootRunId: string | undefined;
  readonly runs: Readonly<Record<string, RunState>>;
  /** The wave each run is in, while it is open. */
  readonly waves: Readonly<Record<string, { readonly wave: number; readonly stepIds: readonly string[] }>>;
  /** Open loops, by `runId/loopId`: iterations begun and, for foreach, how many there are. */
  readonly loops: Readonly<Record<string, { readonly runId: string; readonly loopId: string; readonly begun: number; readonly total?: number }>>;
  readonly calls: Readonly<Record<string, OpenCall>>;
  /** Variable names of the root run, the most recently changed last. */
  readonly changed: readonly string[];
  /** When each running step began its current attempt, by `runId/stepKey`. */
  readonly since: Readonly<Record<string, number>>;
  /** Lines that finished in the last batch (the display prints them, then they are gone). */
  readonly lines: readonly ViewLine[];
  readonly events: number;
}

/** The state before any event. */
export const EMPTY_VIEW: ViewState = Object.freeze({ rootRunId: undefined, runs: {}, waves: {}, loops: {}, calls: {}, changed: [], since: {}, lines: [], events: 0 });

const MAX_CHANGED = 5;

/**
 * The state after a batch of events (in seq order per run). Never changes `state`; `lines` holds
 * only this batch's lines.
 *
 * @example
 * let view = EMPTY_VIEW;
 * view = reduceView(view, pending.splice(0));
 * for (const line of view.lines) print(line);
 */
export function reduceView(state: ViewState, events: readonly RuntrailEvent[]): ViewState {
  if (events.length === 0) return state.lines.length === 0 ? state : { ...state, lines: [] };
  const byRun = new Map<string, RuntrailEvent[]>();
  for (const event of events) {
    const list = byRun.get(event.runId);
    if (list === undefined) byRun.set(event.runId, [event]);
    else list.push(event);
  }
  const runs: Record<string, RunState> = { ...state.runs };
  for (const [runId, list] of byRun) {
    const next = projectRun(list, runs[runId]);
    if (next !== undefined) runs[runId] = next;
  }
  const waves = { ...state.waves };
  const loops = { ...state.loops };
  const calls = { ...state.calls };
  const since = { ...state.since };
  const changed = [...state.changed];
  const lines: ViewLine[] = [];
  const rootRunId = state.rootRunId ?? events[0]!.runId;
  for (const event of events) apply(event);
  return { rootRunId, runs, waves, loops, calls, changed, since, lines, events: state.events + events.length };

  function apply(event: RuntrailEvent): void {
    const step = event.stepId === undefined ? "" : stepKey(event.stepId, event.path);
    const at = `${event.runId}/${step}`;
    switch (event.type) {
      case "step.started":
        since[at] = event.ts;
        return;
      case "step.completed":
        delete since[at];
        lines.push({ kind: "step-completed", runId: event.runId, step, durationMs: event.durationMs, attempt: event.attempt ?? 1, ...(event.fallback === undefined ? {} : { fallback: event.fallback }) });
        return;
      case "step.failed":
        delete since[at];
        lines.push({ kind: "step-failed", runId: event.runId, step, error: event.error, attempt: event.attempt ?? 1 });
        return;
      case "step.retrying":
        lines.push({ kind: "step-retrying", runId: event.runId, step, error: event.error, nextAttempt: event.nextAttempt, delayMs: event.delayMs, ...(event.decision === undefined ? {} : { decision: event.decision }) });
        return;
      case "step.skipped":
        delete since[at];
        lines.push({ kind: "step-skipped", runId: event.runId, step, reason: event.reason, ...(event.decision === undefined ? {} : { decision: event.decision }) });
        return;
      case "wave.started":
        waves[event.runId] = { wave: event.wave, stepIds: event.stepIds };
        return;
      case "wave.completed":
        delete waves[event.runId];
        return;
      case "loop.started":
        loops[`${event.runId}/${event.loopId}`] = { runId: event.runId, loopId: event.loopId, begun: 0, ...(event.total === undefined ? {} : { total: event.total }) };
        return;
      case "loop.iteration": {
        const key = `${event.runId}/${event.loopId}`;
        const loop = loops[key];
        if (loop !== undefined) loops[key] = { ...loop, begun: Math.max(loop.begun, event.iteration.index + 1) };
        return;
      }
      case "loop.completed":
        delete loops[`${event.runId}/${event.loopId}`];
        return;
      case "tool.called":
        calls[`${event.runId}/${event.tool.callId}`] = { runId: event.runId, step, label: `tool ${event.tool.name}`, since: event.ts };
        return;
      case "llm.requested":
        calls[`${event.runId}/${event.llm.callId}`] = { runId: event.runId, step, label: `llm ${event.llm.model}`, since: event.ts };
        return;
      case "tool.completed":
      case "llm.responded":
        delete calls[`${event.runId}/${event.type === "tool.completed" ? event.tool.callId : event.llm.callId}`];
        return;
      case "tool.failed":
      case "llm.failed": {
        const key = `${event.runId}/${event.type === "tool.failed" ? event.tool.callId : event.llm.callId}`;
        const label = calls[key]?.label ?? (event.type === "tool.failed" ? `tool ${event.tool.name}` : `llm ${event.llm.model}`);
        delete calls[key];
        lines.push({ kind: "call-failed", runId: event.runId, step, call: label, error: event.error });
        return;
      }
      case "variable.changed":
        if (event.runId !== rootRunId) return;
        removeName(changed, event.variable.name);
        changed.push(event.variable.name);
        if (changed.length > MAX_CHANGED) changed.shift();
        return;
      case "run.completed":
      case "run.failed":
      case "run.cancelled":
        endRun(event.runId);
        return;
      default:
        return;
    }
  }

  function endRun(runId: string): void {
    delete waves[runId];
    for (const [key, loop] of Object.entries(loops)) if (loop.runId === runId) delete loops[key];
    for (const [key, call] of Object.entries(calls)) if (call.runId === runId) delete calls[key];
    for (const key of Object.keys(since)) if (key.startsWith(`${runId}/`)) delete since[key];
    const run = runs[runId];
    if (run !== undefined) lines.push({ kind: "run-ended", runId, state: run });
  }
}

function removeName(names: string[], name: string): void {
  const i = names.indexOf(name);
  if (i >= 0) names.splice(i, 1);
}
