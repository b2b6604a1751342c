/**
 * When a run is suspended with nothing left to do in this process (the engine's
 * `isIdleSuspended`): `runtrail run` has no server to take a signal, so it lets go of such a run
 * there: its trail is stored, and a server resumes it.
 */
import type { EventBus } from "../bus/index.js";
import { isIdleSuspended } from "../engine/index.js";
import type { RuntrailEvent } from "../events/index.js";
import type { RunState } from "../projections/index.js";

/** The slice of a run handle this reads. */
export interface IdleWatched {
  readonly runId: string;
  state(): RunState | undefined;
  history(): readonly RuntrailEvent[];
}

/** Events after which a suspended run may have become idle. */
const MAY_IDLE = new Set(["run.suspended", "step.completed", "step.failed", "step.skipped", "signal.received", "signal.timeout"]);

/**
 * Resolves once `run` is suspended and idle, checked after each event that can make it so (on
 * the next turn, when the event's own effects are in). The trail is read only while the run is
 * suspended, so a running run costs a status check per such event. A run whose sub-workflow
 * waits is not idle here (its step hosting the child is running), so it is kept, as before.
 * `stop()` ends the watch.
 */
export function whenIdleSuspended(run: IdleWatched, bus: EventBus): { readonly idle: Promise<void>; stop(): void } {
  let stop = (): void => undefined;
  const idle = new Promise<void>((resolve) => {
    let queued = false;
    const check = (): void => {
      queued = false;
      if (run.state()?.status === "suspended" && isIdleSuspended(run.history())) resolve();
    };
    stop = bus.onEvent(
      (event: RuntrailEvent) => {
        if (!MAY_IDLE.has(event.type) || queued) return;
        queued = true;
        setImmediate(check);
      },
      { runId: run.runId },
    );
  });
  return { idle, stop: () => stop() };
}
