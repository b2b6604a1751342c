/**
 * Progress as a pure reducer over a run's events: completed, failed, skipped, total, percent.
 * Only top-level steps count (a loop counts once, not per iteration), so the total is known when
 * the run starts (`run.started.totalSteps`) and the percent never goes down.
 */
import type { RuntrailEvent } from "../events/index.js";
import type { Progress } from "../events/index.js";

/**
 * Progress before anything happened.
 * @example
 * reduceProgress(NO_PROGRESS, runStarted) // { completed: 0, …, total: 3, percent: 0 }
 */
export const NO_PROGRESS: Progress = Object.freeze({ completed: 0, failed: 0, skipped: 0, total: 0, percent: 0 });

function next(state: Progress, completed: number, failed: number, skipped: number, total = state.total): Progress {
  const done = completed + failed + skipped;
  const raw = total === 0 ? 0 : Math.min(100, Math.round((done / total) * 10_000) / 100);
  // A retried failure is taken back from `failed`; the percent already shown stays.
  const percent = Math.max(state.percent, raw);
  return { completed, failed, skipped, total, percent };
}

/**
 * The progress after `event`. Returns `state` itself when the event changes nothing, so a
 * caller can tell a change by identity.
 *
 * @example
 * let p = NO_PROGRESS;
 * for (const e of events) p = reduceProgress(p, e);
 * console.log(`${p.percent}% (${p.completed}/${p.total})`);
 */
export function reduceProgress(state: Progress | undefined, event: RuntrailEvent): Progress {
  const s = state ?? NO_PROGRESS;
  if (event.type === "run.started") return next(NO_PROGRESS, 0, 0, 0, event.totalSteps ?? 0);
  if (event.stepId === undefined || event.path !== undefined) return s;
  switch (event.type) {
    case "step.completed":
      // A fallback completes a step whose failure was already counted.
      return event.fallback === undefined
        ? next(s, s.completed + 1, s.failed, s.skipped)
        : next(s, s.completed + 1, Math.max(0, s.failed - 1), s.skipped);
    case "step.skipped":
      return next(s, s.completed, s.failed, s.skipped + 1);
    case "step.failed":
      return next(s, s.completed, s.failed + 1, s.skipped);
    case "step.retrying":
      return next(s, s.completed, Math.max(0, s.failed - 1), s.skipped);
    default:
      return s;
  }
}

/**
 * The progress of a run from its events (live, stored or replayed alike).
 *
 * @example
 * const { percent } = projectProgress(await store.events(runId));
 */
export function projectProgress(events: Iterable<RuntrailEvent>): Progress {
  let state = NO_PROGRESS;
  for (const event of events) state = reduceProgress(state, event);
  return state;
}
