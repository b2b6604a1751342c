/**
 * The run graph's layout, linear in the steps: the run's waves are its layers (column = wave,
 * in the wave's own order), so no layout library is needed. Loop iterations of a step collapse
 * into one node with counts. Steps seen in no wave (inside sub-workflows) take a column after
 * the last wave. Events carry no step dependencies, so edges are read off the waves: from a wave
 * of one step to every step of the next (exact: each of them waits on it), else dashed
 * "after" links between neighbouring waves.
 */
import type { Step, StepStatus } from "../api/api-types.js";
import type { Wave } from "./run-model.js";

export interface GraphNode {
  readonly id: string;
  readonly column: number;
  readonly row: number;
  readonly status: StepStatus | "pending";
  readonly attempts: number;
  readonly iterations: number;
  readonly done: number;
  readonly durationMs?: number;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly exact: boolean;
}

const RANK: Record<string, number> = { failed: 6, retrying: 5, running: 4, completed: 2, skipped: 1, pending: 0 };

/** The status a group of iterations shows: the most urgent of theirs. */
function worst(a: string, b: string): StepStatus | "pending" {
  return ((RANK[a] ?? 0) >= (RANK[b] ?? 0) ? a : b) as StepStatus | "pending";
}

export function layoutGraph(steps: Iterable<Step>, waves: readonly Wave[]): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const columnOf = new Map<string, { column: number; row: number }>();
  const ordered = [...waves].sort((a, b) => a.wave - b.wave);
  ordered.forEach((w, column) => w.stepIds.forEach((id, row) => columnOf.has(id) || columnOf.set(id, { column, row })));
  const groups = new Map<string, { status: StepStatus | "pending"; attempts: number; iterations: number; done: number; durationMs?: number }>();
  for (const s of steps) {
    const g = groups.get(s.stepId) ?? { status: "pending" as const, attempts: 0, iterations: 0, done: 0 };
    g.status = g.iterations === 0 ? s.status : worst(g.status, s.status);
    g.attempts = Math.max(g.attempts, s.attempts);
    g.iterations += 1;
    if (s.status === "completed" || s.status === "skipped") g.done += 1;
    if (s.durationMs !== undefined) g.durationMs = (g.durationMs ?? 0) + s.durationMs;
    groups.set(s.stepId, g);
  }
  // Steps a wave announced that have no record yet show as pending.
  for (const id of columnOf.keys()) if (!groups.has(id)) groups.set(id, { status: "pending", attempts: 0, iterations: 0, done: 0 });
  const extraColumn = ordered.length;
  let extraRow = 0;
  const nodes: GraphNode[] = [];
  for (const [id, g] of groups) {
    const place = columnOf.get(id) ?? { column: extraColumn, row: extraRow++ };
    nodes.push({ id, ...place, ...g });
  }
  const edges: GraphEdge[] = [];
  for (let i = 0; i + 1 < ordered.length; i++) {
    const from = ordered[i]!.stepIds;
    const to = ordered[i + 1]!.stepIds;
    for (const a of from) for (const b of to) edges.push({ from: a, to: b, exact: from.length === 1 });
  }
  return { nodes, edges };
}
