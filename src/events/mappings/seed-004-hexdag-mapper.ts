/**
 * hexDAG's node events name their wave, and its pipeline-completed event carries every node's
 * result. Runtrail says each of these once (in `wave.started`, in each `step.completed`), so they
 * are rebuilt here by a pure reducer and a small per-run wrapper, as for goflow.
 */
import type { RuntrailEvent } from "../catalog.js";
import { TERMINAL_RUN_EVENTS } from "../catalog.js";
import { toHexdagEvent, type HexdagEvent, type HexdagPlan, type HexdagRunState } from "./seed-004-hexdag.js";

/**
 * The state of a run before its first event, knowing its plan when one is given.
 *
 * @example
 * const state = initialHexdagState({ totalWaves: 2, totalNodes: 3 });
 */
export function initialHexdagState(plan?: HexdagPlan): HexdagRunState {
  return plan === undefined ? { waveOf: {}, nodeResults: {} } : { plan, waveOf: {}, nodeResults: {} };
}

/**
 * The run state after `event`: `wave.started` records its steps' wave (counted from 1);
 * `step.completed` records the step's output. Pure: returns `state` itself when nothing changed.
 *
 * @example
 * const state = events.reduce(reduceHexdagState, initialHexdagState());
 * toHexdagEvent(lastEvent, state);
 */
export function reduceHexdagState(state: HexdagRunState, event: RuntrailEvent): HexdagRunState {
  switch (event.type) {
    case "wave.started": {
      const waveOf = { ...state.waveOf };
      for (const stepId of event.stepIds) waveOf[stepId] = event.wave + 1;
      return { ...state, waveOf };
    }
    case "step.completed":
      if (event.stepId === undefined) return state;
      return { ...state, nodeResults: { ...state.nodeResults, [event.stepId]: event.output ?? null } };
    default:
      return state;
  }
}

/** Options of {@link createHexdagMapper}. */
export interface HexdagMapperOptions {
  /** The plan of the run an event belongs to (asked once per run, at its first event). */
  planOf?: (event: RuntrailEvent) => HexdagPlan | undefined;
}

/** Maps events of any number of interleaved runs to hexDAG's shape, keeping each run's state. */
export interface HexdagMapper {
  /** Folds `event` into its run's state, then maps it; a run's state is dropped when it ends. */
  map(event: RuntrailEvent): HexdagEvent | undefined;
}

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_RUN_EVENTS);

/**
 * A stateful hexDAG mapper. Feed it every event of a run in `seq` order.
 *
 * @example
 * const hexdag = createHexdagMapper({ planOf: (e) => plans.get(e.workflow.name) });
 * bus.onEvent((e) => {
 *   const old = hexdag.map(e);
 *   if (old?.kind === "NodeStarted") console.log(old.name, "in wave", old.wave_index);
 * });
 */
export function createHexdagMapper(options: HexdagMapperOptions = {}): HexdagMapper {
  const runs = new Map<string, HexdagRunState>();
  return {
    map(event) {
      const known = event.type === "run.started" ? undefined : runs.get(event.runId);
      const before = known ?? initialHexdagState(options.planOf?.(event));
      const after = reduceHexdagState(before, event);
      if (TERMINAL.has(event.type)) runs.delete(event.runId);
      else runs.set(event.runId, after);
      return toHexdagEvent(event, after);
    },
  };
}
