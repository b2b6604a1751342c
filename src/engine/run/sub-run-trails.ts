/**
 * Finds and reads the stored trails of a run's sub-workflow runs, level by level: a sub-workflow
 * run's id is derived from its parent's step attempt (`subRunId`), so the candidates are the step
 * attempts a trail had started and not finished. A step that was no sub-workflow, or whose child
 * never started, has no trail and costs one empty read.
 */
import type { RuntrailEvent } from "../../events/index.js";
import type { ParentStep } from "./run-host.js";
import { nodeKey, subRunId } from "./run-restore.js";

/** The step attempts `trail` had started and not finished (completed, skipped or failed). */
export function unfinishedAttempts(trail: readonly RuntrailEvent[]): ParentStep[] {
  const open = new Map<string, ParentStep>();
  for (const event of trail) {
    if (event.stepId === undefined) continue;
    switch (event.type) {
      case "step.started":
        if (event.attempt !== undefined) open.set(nodeKey(event.stepId, event.path), { stepId: event.stepId, attempt: event.attempt, ...(event.path === undefined ? {} : { path: event.path }) });
        break;
      case "step.completed":
      case "step.skipped":
      case "step.failed":
        open.delete(nodeKey(event.stepId, event.path));
        break;
      default:
        break;
    }
  }
  return [...open.values()];
}

/**
 * The trails of the sub-workflow runs under the run of `trail` (children, grandchildren, …) that
 * its unfinished steps had started, by run id; `read` reads one run's trail (empty if none).
 *
 * @example
 * const subTrails = await readSubTrails((id) => readTrail(store, accountId, id), trail);
 * workflow.resume(trail, { subTrails });
 */
export async function readSubTrails(read: (runId: string) => Promise<readonly RuntrailEvent[]>, trail: readonly RuntrailEvent[]): Promise<Map<string, readonly RuntrailEvent[]>> {
  const found = new Map<string, readonly RuntrailEvent[]>();
  let level: (readonly RuntrailEvent[])[] = [trail];
  while (level.length > 0) {
    const ids = level.flatMap((parent) => {
      const runId = parent[0]?.runId;
      return runId === undefined ? [] : unfinishedAttempts(parent).map((step) => subRunId(runId, step));
    });
    const trails = await Promise.all(ids.map((id) => read(id)));
    level = [];
    trails.forEach((sub, i) => {
      if (sub.length === 0) return;
      found.set(ids[i]!, sub);
      level.push(sub);
    });
  }
  return found;
}
