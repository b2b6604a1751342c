/**
 * When a run is suspended with nothing left to do in this process: every step still running is
 * one that waits for a signal (or none runs, when paused). `runtrail run` has no server to take a
 * signal, so it lets go of such a run there: its trail is stored, and a server resumes it.
 */
import type { EventBus } from "../bus/index.js";
import type { RuntrailEvent } from "../events/index.js";
import { stepKey, type RunState } from "../projections/index.js";

/** The slice of a run handle this reads. */
export interface IdleWatched {
  readonly runId: string;
  state(): RunState | undefined;
}

/** Events after which a suspended run may have become idle. */
const MAY_IDLE = new Set(["run.suspended", "step.completed", "step.failed", "step.skipped", "signal.received", "signal.timeout"]);

/** Whether `state` is suspended and none of its running steps is other than a waiting one. */
export function isIdleSuspended(state: RunState | undefined, waiting: ReadonlySet<string>): boolean {
  if (state?.status !== "suspended") return false;
  for (const [key, step] of Object.entries(state.steps)) if (step.status === "running" && !waiting.has(key)) return false;
  return true;
}

/**
 * Resolves once `run` is suspended and idle (checked after each event that can make it so, on
 * the next turn, when the event's own effects are in). Waiting steps are those an open wait of the
 * run's own names; a run whose sub-workflow waits is not idle here (its step hosting the child is
 * running), so it is kept, as before. `stop()` ends the watch.
 */
export function whenIdleSuspended(run: IdleWatched, bus: EventBus): { readonly idle: Promise<void>; stop(): void } {
  const waiting = new Set<string>();
  let stop = (): void => undefined;
  const idle = new Promise<void>((resolve) => {
    let queued = false;
    const check = (): void => {
      queued = false;
      if (isIdleSuspended(run.state(), waiting)) resolve();
    };
    stop = bus.onEvent(
      (event: RuntrailEvent) => {
        const wait = event.type === "run.suspended" ? event.wait : undefined;
        if (wait !== undefined && (wait.runId === undefined || wait.runId === run.runId)) waiting.add(stepKey(wait.stepId, wait.path));
        if ((event.type === "signal.received" || event.type === "signal.timeout") && event.stepId !== undefined) waiting.delete(stepKey(event.stepId, event.path));
        if (!MAY_IDLE.has(event.type) || queued) return;
        queued = true;
        setImmediate(check);
      },
      { runId: run.runId },
    );
  });
  return { idle, stop: () => stop() };
}
