/**
 * A frame: one execution of a graph (the run's top level, or one loop iteration's body), with
 * the outputs of its finished nodes and each node's state.
 */
import type { CompiledGraph } from "../define/graph-compile.js";

/** Node states within a frame. */
export const PENDING = 0;
/** Finished with an output (completed, fallback, or skipped by control with a value). */
export const DONE = 1;
/** Skipped by a condition, a branch or because nothing it needs ran: no output. */
export const SKIPPED = 2;

export interface Frame {
  readonly graph: CompiledGraph;
  readonly input: unknown;
  /** Outputs by step id; what `ctx.steps` and CEL's `steps` read. */
  readonly steps: Record<string, unknown>;
  readonly state: Uint8Array;
  /** How many nodes were SKIPPED: while 0, no node can be skipped for its needs (no scan). */
  skipped: number;
  /** Loop iteration indices, outermost first; undefined at the top level. */
  readonly path: readonly number[] | undefined;
  readonly item: unknown;
  readonly index: number | undefined;
}

export function newFrame(
  graph: CompiledGraph,
  input: unknown,
  path: readonly number[] | undefined,
  item?: unknown,
  index?: number,
): Frame {
  return { graph, input, steps: {}, state: new Uint8Array(graph.nodes.length), skipped: 0, path, item, index };
}
