/**
 * Loads `order-spec.yaml`, registers its handlers and runs it, streaming the events.
 * Run it: `npx tsx examples/order-spec.ts`.
 */
import { fileURLToPath } from "node:url";
import { loadWorkflow, type StepContext } from "../src/engine/index.js";

const handlers = {
  fetchOrder: () => ({ id: "o-1", lines: [12.5, 30, 7.5] }),
  sumLines: (ctx: StepContext) => (ctx.input as number[]).reduce((a, b) => a + b, 0),
  ship: (ctx: StepContext) => {
    // The carrier API fails the first time; the spec's retry setting runs it again.
    if (ctx.attempt === 1) throw new Error("carrier busy");
    return `shipped on attempt ${ctx.attempt}`;
  },
};

/** Runs the spec and returns its output and the event types in order. */
export async function main(print = false): Promise<{ output: unknown; types: string[] }> {
  const wf = await loadWorkflow(fileURLToPath(new URL("./order-spec.yaml", import.meta.url)), { handlers });
  const run = wf.runStream(undefined);
  const types: string[] = [];
  for await (const event of run.events) {
    types.push(event.type);
    if (print) console.log(event.seq, event.type, event.stepId ?? "");
  }
  return { output: await run.result, types };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main(true));
