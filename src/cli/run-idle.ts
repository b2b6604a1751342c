/**
 * When a run is suspended with nothing left to do in this process (see `isIdleSuspended`):
 * `runtrail run` has no server to take a signal, so it lets go of such a run there: its trail
 * is stored, and a server resumes it.
 */
import type { EventBus } from "../bus/index.js";
import { isIdleSuspended, openWaitSteps, type RunState } from "../projections/index.js";
import type { RuntrailEvent } from "../events/index.js";

/** The slice of a run handle this reads. */
export interface IdleWatched {
  readonly runId: string;
  state(): RunState | undefined;
}

/** Events after which a suspended run may have become idle. */
const MAY_IDLE = new Set(["run.suspended", "step.completed", "step.failed", "step.skipped", "signal.received", "signal.timeout"]);

/**
 * Resolves once `run` is suspended and idle, checked after each event that can make it so (on
 * the next turn, when the event's own effects are in). A run whose sub-workflow waits is not idle
 * here (its step hosting the child is running), so it is kept, as before. `stop()` ends the watch.
 */
export function whenIdleSuspended(run: IdleWatched, bus: EventBus): { readonly idle: Promise<void>; stop(): void } {
  const events: RuntrailEvent[] = [];
  let stop = (): void => undefined;
  const idle = new Promise<void>((resolve) => {
    let queued = false;
    const check = (): void => {
      queued = false;
      if (isIdleSuspended(run.state(), openWaitSteps(events))) resolve();
    };
    stop = bus.onEvent(
      (event: RuntrailEvent) => {
        // Only the events the open waits are read from are kept.
        if (event.type === "run.suspended" || event.type === "signal.received" || event.type === "signal.timeout") events.push(event);
        if (!MAY_IDLE.has(event.type) || queued) return;
        queued = true;
        setImmediate(check);
      },
      { runId: run.runId },
    );
  });
  return { idle, stop: () => stop() };
}
