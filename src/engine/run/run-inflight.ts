/**
 * What a trail says was under way when it ends: the step attempts that had started and not
 * finished (other than those parked in a `waitFor`), and whether the run ends suspended or paused.
 * Crash recovery reads it (those steps were running when the process died, so they run again, and
 * a step marked `idempotent: false` among them must not), and so does a process deciding whether
 * it may let go of a run it holds (`isIdleSuspended`).
 */
import type { RuntrailEvent } from "../../events/index.js";
import type { CompiledGraph, CompiledNode } from "../define/graph-compile.js";
import { nodeKey, subRunId, waitKey } from "./run-restore.js";

/** A step attempt, where it sits (loop path). */
export interface StepAt {
  readonly stepId: string;
  readonly path?: readonly number[];
  readonly attempt: number;
}

/** See {@link inflightOf}. */
export interface TrailInflight {
  /** Attempts started and not finished, and not waiting for a signal: running when the trail ends. */
  readonly running: readonly StepAt[];
  /** Whether the trail's last run status event is `run.suspended` (a wait or a pause). */
  readonly suspended: boolean;
  /** Whether a pause from outside (`run.suspended` with no wait) is in force: only `resume` ends it. */
  readonly paused: boolean;
  /** The steps (`stepId@path`) parked in an open wait of the run's own. */
  readonly waiting: ReadonlySet<string>;
}

/**
 * Folds a trail to what it leaves under way; with the trails of its sub-workflow runs
 * (`readSubTrails`), a sub-workflow step whose child run only waits counts as waiting.
 *
 * @example
 * inflightOf(trail).running // [{ stepId: "charge", attempt: 1 }]
 */
export function inflightOf(trail: readonly RuntrailEvent[], subTrails: ReadonlyMap<string, readonly RuntrailEvent[]> = new Map()): TrailInflight {
  const started = new Map<string, StepAt>();
  const waiting = new Set<string>();
  let suspended = false;
  let paused = false;
  for (const event of trail) {
    switch (event.type) {
      case "step.started":
        if (event.stepId !== undefined && event.attempt !== undefined) {
          started.set(nodeKey(event.stepId, event.path), { stepId: event.stepId, attempt: event.attempt, ...(event.path === undefined ? {} : { path: event.path }) });
        }
        break;
      case "step.completed":
      case "step.failed":
      case "step.skipped":
        if (event.stepId !== undefined) started.delete(nodeKey(event.stepId, event.path));
        break;
      case "run.suspended":
        suspended = true;
        if (event.wait === undefined) paused = true;
        // A wait of a sub-workflow run (wait.runId) is that run's: its own trail says whether it is open.
        if (event.wait !== undefined && event.wait.runId === undefined) waiting.add(waitKey(event.wait.stepId, event.wait.path, event.wait.attempt, event.wait.index));
        break;
      case "run.resumed":
        suspended = false;
        if (event.signal === undefined) paused = false;
        break;
      case "signal.received":
      case "signal.timeout":
        if (event.stepId !== undefined && event.attempt !== undefined && event.index !== undefined) waiting.delete(waitKey(event.stepId, event.path, event.attempt, event.index));
        break;
      default:
        break;
    }
  }
  const parked = new Set([...waiting].map((key) => key.slice(0, key.lastIndexOf("#"))));
  const runId = trail[0]?.runId ?? "";
  const running = [...started.entries()]
    .filter(([key, at]) => {
      if (parked.has(key)) return false;
      // A sub-workflow step goes on with its child run: parked if that run is suspended with nothing running.
      const child = subTrails.get(subRunId(runId, at));
      if (child === undefined || child.length === 0) return true;
      return !isIdleSuspended(child, subTrails);
    })
    .map(([, at]) => at);
  return { running, suspended, paused, waiting: parked };
}

/**
 * Whether the run of `trail` is suspended with nothing left to do: no step runs but those parked
 * in a wait (none, when it is paused). Such a run needs no process: its holder may let it go, and
 * any process resumes it from the trail. A sub-workflow step counts as parked only when its child
 * run's trail (in `subTrails`) is idle too.
 *
 * @example
 * isIdleSuspended(run.history()) // true while it only waits for its signal
 */
export function isIdleSuspended(trail: readonly RuntrailEvent[], subTrails?: ReadonlyMap<string, readonly RuntrailEvent[]>): boolean {
  const { suspended, running } = inflightOf(trail, subTrails);
  return suspended && running.length === 0;
}

/** A step attempt that must not run again, and the run (this one, or a sub-workflow run below it) it is in. */
export interface UnsafeStep extends StepAt {
  readonly runId: string;
}

/**
 * The running attempts (see {@link inflightOf}) of the run of `trail`, and of its sub-workflow
 * runs below, that must not run again: steps marked `idempotent: false`. A sub-workflow step
 * goes on with its child run's stored trail (`subTrails`), so that trail says what the child was
 * running; a child with no stored trail starts again, so any such step in its workflow counts. A
 * loop body step is found by its depth (the loop path's length); were two bodies at one depth
 * to reuse an id, either being unsafe counts.
 *
 * @example
 * unsafeToRepeat(wf.graph, trail, subTrails) // [{ runId: "r1", stepId: "charge", attempt: 1 }]
 */
export function unsafeToRepeat(graph: CompiledGraph, trail: readonly RuntrailEvent[], subTrails: ReadonlyMap<string, readonly RuntrailEvent[]> = new Map()): UnsafeStep[] {
  const runId = trail[0]?.runId ?? "";
  const unsafe: UnsafeStep[] = [];
  for (const at of inflightOf(trail, subTrails).running) {
    for (const node of nodesAt(graph, at.stepId, at.path?.length ?? 0)) {
      if (!node.idempotent) unsafe.push({ ...at, runId });
      else if (node.kind === "workflow") {
        const child = childGraph(node);
        const childTrail = subTrails.get(subRunId(runId, at));
        if (childTrail !== undefined && childTrail.length > 0 && child !== undefined) unsafe.push(...unsafeToRepeat(child, childTrail, subTrails));
        else if (hasUnsafe(child)) unsafe.push({ ...at, runId });
      }
    }
  }
  return unsafe;
}

function nodesAt(graph: CompiledGraph, stepId: string, depth: number): CompiledNode[] {
  if (depth === 0) return graph.nodes.filter((node) => node.id === stepId);
  return graph.nodes.flatMap((node) => (node.body === undefined ? [] : nodesAt(node.body, stepId, depth - 1)));
}

function childGraph(node: CompiledNode): CompiledGraph | undefined {
  return node.workflow?.graph as CompiledGraph | undefined;
}

function hasUnsafe(graph: CompiledGraph | undefined, seen = new Set<CompiledGraph>()): boolean {
  if (graph === undefined || seen.has(graph)) return false;
  seen.add(graph);
  return graph.nodes.some((node) => !node.idempotent || hasUnsafe(node.body, seen) || (node.kind === "workflow" && hasUnsafe(childGraph(node), seen)));
}
