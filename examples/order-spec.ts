/**
 * Loads `order-spec.yaml`, registers its handlers and runs it, streaming the events.
 * Run it: `npx tsx examples/order-spec.ts`, or through the CLI: `npm run runtrail -- run examples/order-spec.yaml`.
 */
import { fileURLToPath } from "node:url";
import { loadWorkflow } from "../src/engine/index.js";
import * as handlers from "./order-spec.handlers.js";

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
