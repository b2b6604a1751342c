/**
 * goflow attached the live variable snapshot (and progress its current node) to every event.
 * Runtrail keeps neither in its events: both are projections, rebuilt here by a pure reducer and
 * a small per-run wrapper, so a live, stored or replayed run maps the same way.
 */
import type { RuntrailEvent } from "../catalog.js";
import { isTerminalRunEvent } from "../catalog.js";
import { toGoflowEvent, type GoflowExecutionEvent, type GoflowRunState } from "./seed-001-goflow.js";

/** The state of a run before its first event. */
export const INITIAL_GOFLOW_STATE: GoflowRunState = Object.freeze({ variables: Object.freeze({}) });

/**
 * The run state after `event`: `variable.changed` sets a variable; `step.started` makes its step
 * the current node; that step's end (`completed`, `failed`, `skipped`) clears it, as goflow's
 * progress tracker did. Pure: returns `state` itself when nothing changed.
 *
 * @example
 * const state = events.reduce(reduceGoflowState, INITIAL_GOFLOW_STATE);
 * state.variables // { total: 3 }
 */
export function reduceGoflowState(state: GoflowRunState, event: RuntrailEvent): GoflowRunState {
  switch (event.type) {
    case "variable.changed":
      return { ...state, variables: { ...state.variables, [event.variable.name]: event.variable.new } };
    case "step.started":
      return event.stepId === undefined ? state : { ...state, currentNode: event.stepId };
    case "step.completed":
    case "step.failed":
    case "step.skipped":
      if (state.currentNode === undefined || state.currentNode !== event.stepId) return state;
      return { variables: state.variables };
    default:
      return state;
  }
}

/** Maps events of any number of interleaved runs to goflow's shape, keeping each run's state. */
export interface GoflowMapper {
  /** Folds `event` into its run's state, then maps it; a run's state is dropped when it ends. */
  map(event: RuntrailEvent): GoflowExecutionEvent | undefined;
  /** A copy of a live run's variables (goflow's `GetVariableSnapshot`); `{}` for unknown runs. */
  variables(runId: string): Record<string, unknown>;
}


/**
 * A stateful goflow mapper. Feed it every event of a run in `seq` order (a bus listener, a
 * stored run read back), so each mapped event carries the snapshot goflow would have sent.
 *
 * @example
 * const goflow = createGoflowMapper();
 * bus.onEvent((e) => {
 *   const old = goflow.map(e);
 *   if (old?.type === "VariableChanged") console.log(old.variables);
 * });
 */
export function createGoflowMapper(): GoflowMapper {
  const runs = new Map<string, GoflowRunState>();
  return {
    map(event) {
      const known = event.type === "run.started" ? undefined : runs.get(event.runId);
      const before = known ?? INITIAL_GOFLOW_STATE;
      const after = reduceGoflowState(before, event);
      if (isTerminalRunEvent(event.type)) runs.delete(event.runId);
      else runs.set(event.runId, after);
      return toGoflowEvent(event, after);
    },
    variables(runId) {
      return { ...runs.get(runId)?.variables };
    },
  };
}
