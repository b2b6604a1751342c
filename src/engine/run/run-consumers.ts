/**
 * A run's own consumers (its `onTransition` callback, the history a run handle or control reads)
 * are bus listeners like every other consumer: isolated, counted in `bus.stats()`, reported
 * through the bus's `onError`. Each is scoped to the run and leaves after its terminal event.
 */
import type { EventBus } from "../../bus/index.js";
import { isTerminalRunEvent, type RuntrailEvent } from "../../events/index.js";

const LIFECYCLE = ["run.*", "step.*"] as const;

/**
 * Calls `fn` with each of the run's step and run lifecycle events (seed 000's onTransition).
 * @example
 * onRunTransitions(bus, runId, (event) => console.log(event.type));
 */
export function onRunTransitions(bus: EventBus, runId: string, fn: (event: RuntrailEvent) => void): void {
  const stop = bus.onEvent(
    function onTransition(event: RuntrailEvent): void {
      if (isTerminalRunEvent(event.type)) stop();
      fn(event);
    },
    { runId, type: [...LIFECYCLE] },
  );
}

/**
 * Appends each of the run's events to `history`, in seq order.
 * @example
 * const history: RuntrailEvent[] = []; recordRun(bus, runId, history);
 */
export function recordRun(bus: EventBus, runId: string, history: RuntrailEvent[]): void {
  const stop = bus.onEvent(
    function runHistory(event: RuntrailEvent): void {
      history.push(event);
      if (isTerminalRunEvent(event.type)) stop();
    },
    { runId },
  );
}
