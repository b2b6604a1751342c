/**
 * A step's own `retry` settings are a control policy (control's step retry policy), asked by the
 * run's control manager like any other handler: with its timeout, answer check, stats and
 * `onDecision`. This file gives a run the port that does that.
 */
import { createControl, type ControlManager, type ControlPolicy, type ControlPort } from "../../control/index.js";
import type { CompiledGraph } from "../define/graph-compile.js";

const policiesOf = new WeakMap<CompiledGraph, readonly ControlPolicy[]>();
const ownControl = new WeakMap<CompiledGraph, ControlManager>();

/** Every step retry policy of a graph, its loop bodies' included. */
function stepPolicies(graph: CompiledGraph): readonly ControlPolicy[] {
  let policies = policiesOf.get(graph);
  if (policies === undefined) {
    const found: ControlPolicy[] = [];
    const names = new Set<string>();
    const visit = (g: CompiledGraph): void => {
      for (const node of g.nodes) {
        // Ids repeat only across loop bodies; a policy is scoped by step id, so one per id.
        if (node.retry !== undefined && !names.has(node.retry.options.name)) {
          names.add(node.retry.options.name);
          found.push(node.retry);
        }
        if (node.body !== undefined) visit(node.body);
      }
    };
    visit(graph);
    policies = found;
    policiesOf.set(graph, policies);
  }
  return policies;
}

function isManager(port: ControlPort): port is ControlManager {
  return typeof (port as Partial<ControlManager>).scoped === "function";
}

/**
 * The port a run asks at its decision points: the caller's control with the graph's step retry
 * policies in its priority order, the graph's own manager when the caller gave none, or nothing.
 *
 * @example
 * const port = runControl(options.control, graph); // undefined: no control and no step retries
 */
export function runControl(control: ControlPort | undefined, graph: CompiledGraph): ControlPort | undefined {
  const policies = stepPolicies(graph);
  if (policies.length === 0) return control;
  if (control !== undefined && isManager(control)) return control.scoped(policies);
  let own = ownControl.get(graph);
  if (own === undefined) {
    own = createControl();
    for (const policy of policies) own.use(policy);
    ownControl.set(graph, own);
  }
  if (control === undefined) return own;
  // A bare port (not a manager): asked first, as it would be alone; then the step policies.
  const steps = own;
  return {
    async check(event, ctx) {
      const decision = await control.check(event, ctx);
      return decision.signal === "proceed" && decision.timeoutMs === undefined ? steps.check(event, ctx) : decision;
    },
  };
}
