/**
 * The graph a run announces on `run.started`: the compiled graph's steps, dependencies and loop
 * bodies as plain data. Made once per compiled graph and frozen, so every run of a workflow
 * carries the same object at no cost beyond a reference.
 */
import type { GraphStep, RunGraph } from "../../events/index.js";
import type { CompiledGraph } from "./graph-compile.js";

/** A sub-workflow's graph is unknown to its type (it is internal); its ref is what is named. */
const refOf = (workflow: { readonly graph: unknown }): CompiledGraph["ref"] => (workflow.graph as CompiledGraph).ref;

const made = new WeakMap<CompiledGraph, RunGraph>();

/**
 * The run graph of `graph`.
 *
 * @example
 * graphDefinition(wf.graph).steps // [{ id: "fetch", kind: "step" }, { id: "parse", kind: "step", needs: ["fetch"] }]
 */
export function graphDefinition(graph: CompiledGraph): RunGraph {
  let definition = made.get(graph);
  if (definition === undefined) {
    const steps: GraphStep[] = [];
    collect(graph, [], steps);
    definition = deepFreeze({ steps });
    made.set(graph, definition);
  }
  return definition;
}

function collect(graph: CompiledGraph, within: readonly string[], out: GraphStep[]): void {
  for (const node of graph.nodes) {
    const step: { -readonly [K in keyof GraphStep]: GraphStep[K] } = { id: node.id, kind: node.kind };
    if (node.needs.length > 0) step.needs = node.needs.map((i) => graph.nodes[i]!.id);
    const model = graph.model.nodes[node.index];
    if (model?.kind === "if") {
      step.then = [...model.then];
      if (model.else.length > 0) step.else = [...model.else];
    }
    if (within.length > 0) step.in = [...within];
    if (node.workflow !== undefined) step.workflow = refOf(node.workflow);
    out.push(step);
    if (node.body !== undefined) collect(node.body, [...within, node.id], out);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
