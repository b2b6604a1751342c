/**
 * LangGraph.js (`@langchain/langgraph`) on the suite's shapes: a `StateGraph` whose nodes each
 * add 1 to the state's `value`, wired in a line, or from one root to every branch and from all
 * branches to one join (LangGraph waits for all of a multi-source edge's sources). The fan-out's
 * branches write to a channel with a summing reducer, the way LangGraph merges parallel writes.
 */
import { setMaxListeners } from "node:events";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { answersOnly, check, type EngineContender, type Shape } from "./engine-shapes.js";

const State = Annotation.Root({
  value: Annotation<number>(),
  sum: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }),
});
type S = typeof State.State;

/** The slice of LangGraph's builder the suite uses; node names are built at run time, so untyped. */
interface Builder {
  addNode(name: string, node: (state: S) => Partial<S>): Builder;
  addEdge(from: string | string[], to: string): Builder;
  compile(): { invoke(input: Partial<S>, config: { recursionLimit: number }): Promise<S> };
}

function chain(steps: number): Builder {
  const graph = new StateGraph(State) as unknown as Builder;
  for (let i = 0; i < steps; i++) graph.addNode(`s${i}`, (state) => ({ value: state.value + 1 }));
  graph.addEdge(START, "s0");
  for (let i = 1; i < steps; i++) graph.addEdge(`s${i - 1}`, `s${i}`);
  return graph.addEdge(`s${steps - 1}`, END);
}

function fanout(width: number): Builder {
  const graph = new StateGraph(State) as unknown as Builder;
  const branches = Array.from({ length: width }, (_, i) => `b${i}`);
  graph.addNode("root", (state) => ({ value: state.value + 1 }));
  for (const branch of branches) graph.addNode(branch, (state) => ({ sum: state.value + 1 }));
  graph.addNode("join", (state) => ({ value: state.sum }));
  graph.addEdge(START, "root");
  for (const branch of branches) graph.addEdge("root", branch);
  graph.addEdge(branches, "join");
  return graph.addEdge("join", END);
}

/** LangGraph on the shapes; `recursionLimit` is raised so a long chain is allowed to finish. */
export const langgraph: EngineContender = {
  name: "langgraph",
  prepare(shape: Shape) {
    // LangGraph puts an abort listener on the run's signal per task in flight; a 1,000-wide
    // superstep trips Node's leak warning, which is only noise here.
    if (shape.kind === "fanout") setMaxListeners(shape.width + 10);
    const app = (shape.kind === "chain" ? chain(shape.steps) : fanout(shape.width)).compile();
    const config = { recursionLimit: (shape.kind === "chain" ? shape.steps : 3) + 10 };
    return answersOnly(async () => {
      const state = await app.invoke({ value: 0 }, config);
      check("langgraph", shape, state.value);
    });
  },
};
