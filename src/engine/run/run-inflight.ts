/**
 * What a trail says was under way when it ends: the step attempts that had started and not
 * finished (other than those parked in a `waitFor`), and whether the run ends suspended. Crash
 * recovery reads it: those steps were running when the process died, so they run again, and a
 * step marked `idempotent: false` among them must not.
 */
import type { RuntrailEvent } from "../../events/index.js";
import type { CompiledGraph, CompiledNode } from "../define/graph-compile.js";
import { nodeKey, waitKey } from "./run-restore.js";

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
}

/**
 * Folds a trail to what it leaves under way.
 *
 * @example
 * inflightOf(trail).running // [{ stepId: "charge", attempt: 1 }]
 */
export function inflightOf(trail: readonly RuntrailEvent[]): TrailInflight {
  const started = new Map<string, StepAt>();
  const waiting = new Set<string>();
  let suspended = false;
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
        if (event.wait !== undefined) waiting.add(waitKey(event.wait.stepId, event.wait.path, event.wait.attempt, event.wait.index));
        break;
      case "run.resumed":
        suspended = false;
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
  const running = [...started.entries()].filter(([key]) => !parked.has(key)).map(([, at]) => at);
  return { running, suspended };
}

/**
 * The attempts of `running` that must not run again: steps marked `idempotent: false`, and
 * sub-workflow steps whose workflow has such a step (what its child run was doing is its own
 * trail's, so it counts as possibly running). A loop body step is found by its depth (the loop
 * path's length); were two bodies at one depth to reuse an id, either being unsafe counts.
 *
 * @example
 * unsafeToRepeat(wf.graph, inflightOf(trail).running) // [{ stepId: "charge", attempt: 1 }]
 */
export function unsafeToRepeat(graph: CompiledGraph, running: readonly StepAt[]): StepAt[] {
  return running.filter((at) => nodesAt(graph, at.stepId, at.path?.length ?? 0).some((node) => !node.idempotent || (node.kind === "workflow" && hasUnsafe(childGraph(node)))));
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
