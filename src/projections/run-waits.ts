/**
 * What a run waits for, as a pure function of its events: the steps whose `ctx.waitFor` is open
 * (a `run.suspended` with its `wait`, not yet ended by a `signal.received` or `signal.timeout`),
 * and whether the run is suspended with nothing else to do. A process that finds its run so can
 * let go of it: the trail is stored, and any process resumes it when the signal comes.
 */
import type { RuntrailEvent } from "../events/index.js";
import { stepKey, type RunState } from "./run-state.js";

/**
 * The step keys (`stepKey`) of the run's own open waits, from its events in seq order. Waits of a
 * sub-workflow run mirrored on it (`wait.runId` another run) are not its own steps' and are left out.
 *
 * @example
 * openWaitSteps(run.history()) // Set { "approve" }
 */
export function openWaitSteps(events: Iterable<RuntrailEvent>): Set<string> {
  const open = new Set<string>();
  for (const event of events) {
    if (event.type === "run.suspended" && event.wait !== undefined && (event.wait.runId === undefined || event.wait.runId === event.runId)) {
      open.add(stepKey(event.wait.stepId, event.wait.path));
    } else if ((event.type === "signal.received" || event.type === "signal.timeout") && event.stepId !== undefined) {
      open.delete(stepKey(event.stepId, event.path));
    }
  }
  return open;
}

/**
 * Whether `state` is suspended with nothing to do: every step still running is one that waits
 * (`waiting`, from {@link openWaitSteps}); none runs when it is only paused. A run whose step
 * hosts a waiting sub-workflow run is not idle by this (the hosting step is running).
 *
 * @example
 * isIdleSuspended(run.state(), openWaitSteps(run.history())) // true while it only waits
 */
export function isIdleSuspended(state: RunState | undefined, waiting: ReadonlySet<string>): boolean {
  if (state?.status !== "suspended") return false;
  for (const [key, step] of Object.entries(state.steps)) if (step.status === "running" && !waiting.has(key)) return false;
  return true;
}
