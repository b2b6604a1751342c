/**
 * The run graph's layout, linear in the steps. With the workflow's graph (on `run.started`), the
 * edges are its real dependencies and each body (the top level, each loop's) is laid out in the
 * layers the wave scheduler runs it in: column = the step's wave (its longest chain of needs),
 * rows in declaration order. A loop is a group drawn around its body; above
 * {@link COLLAPSE_ABOVE} nodes every loop collapses to one node, so a huge workflow stays a
 * few hundred nodes. Loop iterations of a step always collapse into one node with counts.
 * Without a graph (a run from an older or foreign producer), the waves seen give the columns
 * and edges are read off them, dashed where they are a guess.
 */
import type { RunGraph } from "../../../src/events/index.js";
import type { StepState } from "../../../src/projections/index.js";
import type { Wave } from "./run-model.js";

export type NodeStatus = StepState["status"] | "pending";

export interface GraphNode {
  /** Unique in the graph: the enclosing loops' ids and the step's, joined by `/`. */
  readonly id: string;
  readonly stepId: string;
  readonly kind: string;
  /** Position, relative to the parent group when there is one. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** The group (an expanded loop) the node is drawn in. */
  readonly parent?: string;
  /** An expanded loop, drawn as a box around its body. */
  readonly group: boolean;
  /** A loop drawn as one node, its body hidden (`bodySteps` of them). */
  readonly bodySteps: number;
  readonly status: NodeStatus;
  readonly attempts: number;
  readonly iterations: number;
  readonly done: number;
  readonly durationMs?: number;
  readonly queuedMs?: number;
  readonly workflow?: string;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** needs: a real dependency; then/else: an if's arm; after: a guess from the waves. */
  readonly kind: "needs" | "then" | "else" | "after";
}

export const COLLAPSE_ABOVE = 300;
export const NODE_W = 180;
export const NODE_H = 52;
const GAP_X = 50;
const GAP_Y = 18;
const PAD = 14;
const HEAD = 44;

const RANK: Record<string, number> = { failed: 6, retrying: 5, running: 4, completed: 2, skipped: 1, pending: 0 };

interface Stats {
  status: NodeStatus;
  attempts: number;
  iterations: number;
  done: number;
  durationMs?: number;
  queuedMs?: number;
}

/** Every step's records grouped by id and loop depth: a step in a loop shows its iterations as one node. */
function statsByStep(steps: Readonly<Record<string, StepState>>): Map<string, Stats> {
  const groups = new Map<string, Stats>();
  for (const s of Object.values(steps)) {
    const key = `${s.path?.length ?? 0}:${s.stepId}`;
    const g = groups.get(key) ?? { status: "pending", attempts: 0, iterations: 0, done: 0 };
    g.status = g.iterations === 0 || (RANK[s.status] ?? 0) > (RANK[g.status] ?? 0) ? s.status : g.status;
    g.attempts = Math.max(g.attempts, s.attempts);
    g.iterations += 1;
    if (s.status === "completed" || s.status === "skipped") g.done += 1;
    const last = s.durationsMs.at(-1);
    if (last !== undefined) g.durationMs = (g.durationMs ?? 0) + last;
    if (s.queuedMs !== undefined) g.queuedMs = (g.queuedMs ?? 0) + s.queuedMs;
    groups.set(key, g);
  }
  return groups;
}

const EMPTY: Stats = { status: "pending", attempts: 0, iterations: 0, done: 0 };

/** Lays out the workflow's graph (see the module comment). */
export function layoutDefinition(graph: RunGraph, steps: Readonly<Record<string, StepState>>): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const stats = statsByStep(steps);
  const collapse = graph.steps.length > COLLAPSE_ABOVE;
  // Bodies by the id path of their loop ("" for the top level), in declaration order.
  const bodies = new Map<string, RunGraph["steps"][number][]>();
  for (const step of graph.steps) {
    const scope = (step.in ?? []).join("/");
    const list = bodies.get(scope) ?? [];
    list.push(step);
    bodies.set(scope, list);
  }
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const bodySize = (scope: string): number => (bodies.get(scope)?.length ?? 0) + [...bodies.keys()].filter((k) => k.startsWith(`${scope}/`)).reduce((n, k) => n + bodies.get(k)!.length, 0);

  /** Lays out one body; returns its size. Children are pushed before their group is known, so the group is added after. */
  const place = (scope: string, parent: string | undefined): { width: number; height: number } => {
    const list = bodies.get(scope) ?? [];
    const prefix = scope === "" ? "" : `${scope}/`;
    const index = new Map(list.map((s, i) => [s.id, i]));
    // Longest chain of needs = the wave the scheduler runs the step in (needs come first in a valid graph).
    const layer: number[] = [];
    const order = topological(list, index);
    for (const i of order) layer[i] = Math.max(0, ...(list[i]!.needs ?? []).map((n) => (layer[index.get(n) ?? -1] ?? -1) + 1));
    const sizes = list.map((step) => {
      const own = `${prefix}${step.id}`;
      const isLoop = step.kind === "foreach" || step.kind === "while";
      if (isLoop && !collapse && bodies.has(own)) {
        const inner = place(own, own);
        return { width: Math.max(NODE_W, inner.width + 2 * PAD), height: inner.height + HEAD + PAD, group: true };
      }
      return { width: NODE_W, height: NODE_H, group: false };
    });
    const columns: number[][] = [];
    list.forEach((_, i) => (columns[layer[i]!] ??= []).push(i));
    let x = parent === undefined ? 0 : PAD;
    let height = 0;
    for (const column of columns) {
      if (column === undefined) continue;
      let y = parent === undefined ? 0 : HEAD;
      let width = 0;
      for (const i of column) {
        const step = list[i]!;
        const size = sizes[i]!;
        const depth = step.in?.length ?? 0;
        const s = stats.get(`${depth}:${step.id}`) ?? EMPTY;
        const node: GraphNode = {
          id: `${prefix}${step.id}`, stepId: step.id, kind: step.kind, x, y, width: size.width, height: size.height,
          group: size.group, bodySteps: collapse && (step.kind === "foreach" || step.kind === "while") ? bodySize(`${prefix}${step.id}`) : 0,
          ...s, ...(parent === undefined ? {} : { parent }),
          ...(step.workflow === undefined ? {} : { workflow: step.workflow.version === undefined ? step.workflow.name : `${step.workflow.name} v${step.workflow.version}` }),
        };
        nodes.push(node);
        y += size.height + GAP_Y;
        width = Math.max(width, size.width);
      }
      x += width + GAP_X;
      height = Math.max(height, y - GAP_Y);
    }
    for (const step of list) {
      for (const need of step.needs ?? []) {
        const owner = list[index.get(need) ?? -1];
        const kind = owner?.then?.includes(step.id) ? "then" : owner?.else?.includes(step.id) ? "else" : "needs";
        edges.push({ from: `${prefix}${need}`, to: `${prefix}${step.id}`, kind });
      }
    }
    return { width: x - GAP_X + (parent === undefined ? 0 : PAD), height: height + (parent === undefined ? 0 : PAD) };
  };
  place("", undefined);
  // React Flow wants a parent before its children.
  const depth = (n: GraphNode): number => n.id.split("/").length;
  nodes.sort((a, b) => depth(a) - depth(b));
  return { nodes, edges };
}

/** Indices of `list` in an order where every step comes after what it needs. */
function topological(list: readonly { id: string; needs?: readonly string[] }[], index: ReadonlyMap<string, number>): number[] {
  const seen = new Uint8Array(list.length);
  const out: number[] = [];
  const visit = (i: number): void => {
    if (seen[i] !== 0) return;
    seen[i] = 1;
    for (const need of list[i]!.needs ?? []) {
      const j = index.get(need);
      if (j !== undefined) visit(j);
    }
    out.push(i);
  };
  list.forEach((_, i) => visit(i));
  return out;
}

/** Lays out a run without a graph: columns from the waves seen, edges guessed from them. */
export function layoutWaves(steps: Readonly<Record<string, StepState>>, waves: readonly Wave[]): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const stats = statsByStep(steps);
  const place = new Map<string, { column: number; row: number }>();
  const ordered = [...waves].sort((a, b) => a.wave - b.wave);
  ordered.forEach((w, column) => w.stepIds.forEach((id, row) => place.has(id) || place.set(id, { column, row })));
  const ids = new Set([...place.keys(), ...[...stats.keys()].map((k) => k.slice(k.indexOf(":") + 1))]);
  let extra = 0;
  const nodes: GraphNode[] = [...ids].map((id) => {
    const at = place.get(id) ?? { column: ordered.length, row: extra++ };
    const s = [...stats.entries()].filter(([k]) => k.endsWith(`:${id}`)).map(([, v]) => v)[0] ?? EMPTY;
    return { id, stepId: id, kind: "step", x: at.column * (NODE_W + GAP_X), y: at.row * (NODE_H + GAP_Y), width: NODE_W, height: NODE_H, group: false, bodySteps: 0, ...s };
  });
  const edges: GraphEdge[] = [];
  for (let i = 0; i + 1 < ordered.length; i++) for (const a of ordered[i]!.stepIds) for (const b of ordered[i + 1]!.stepIds) edges.push({ from: a, to: b, kind: "after" });
  return { nodes, edges };
}
