/**
 * Mastra's workflow engine (`@mastra/core` 0.24, its last release for Node 20) on the suite's
 * shapes: `createStep` steps chained with `.then`, or `.then(root).parallel(branches).then(join)`.
 * Every step has Mastra's usual zod input and output schemas; a run is `createRunAsync()` then
 * `start()`, as Mastra's documentation writes it, with no storage configured.
 */
import { createStep, createWorkflow } from "@mastra/core/workflows";
import { z } from "zod";
import { answersOnly, check, type EngineContender, type Shape } from "./engine-shapes.js";

const value = z.object({ value: z.number() });
type Value = z.infer<typeof value>;

const plusOne = (id: string) =>
  createStep({ id, inputSchema: value, outputSchema: value, execute: async ({ inputData }) => ({ value: inputData.value + 1 }) });

/** The slice of a committed Mastra workflow the suite calls. */
interface Runnable {
  createRunAsync(): Promise<{ start(args: { inputData: Value }): Promise<{ status: string; result?: unknown }> }>;
}

function chain(steps: number): Runnable {
  let flow = createWorkflow({ id: `chain-${steps}`, inputSchema: value, outputSchema: value });
  for (let i = 0; i < steps; i++) flow = flow.then(plusOne(`s${i}`));
  return flow.commit() as unknown as Runnable;
}

function fanout(width: number): Runnable {
  const branches = Array.from({ length: width }, (_, i) => plusOne(`b${i}`));
  const join = createStep({
    id: "join",
    inputSchema: z.record(z.string(), value),
    outputSchema: value,
    execute: async ({ inputData }) => {
      let total = 0;
      for (const branch of Object.values(inputData)) total += branch.value;
      return { value: total };
    },
  });
  const flow = createWorkflow({ id: `fanout-${width}`, inputSchema: value, outputSchema: value }).then(plusOne("root"));
  return (flow.parallel(branches) as unknown as { then(step: typeof join): { commit(): unknown } }).then(join).commit() as Runnable;
}

/** Mastra on the shapes; each run's status and answer are checked. */
export const mastra: EngineContender = {
  name: "mastra",
  prepare(shape: Shape) {
    const flow = shape.kind === "chain" ? chain(shape.steps) : fanout(shape.width);
    return answersOnly(async () => {
      const run = await flow.createRunAsync();
      const result = await run.start({ inputData: { value: 0 } });
      if (result.status !== "success") throw new Error(`mastra on ${shape.kind}: run ended ${result.status}`);
      check("mastra", shape, (result.result as Value).value);
    });
  },
};
