// Runs the built core (dist/) on whatever Node runs this file: `npm run check:node` runs it on
// Node 20, 22 and 24. It uses only the public entry point, as a user would.
import assert from "node:assert/strict";
import { createBus, parseEvent } from "../dist/index.js";

const bus = createBus();
const seen = [];
bus.onEvent((e) => seen.push(e.seq), { type: "step.*" });
const observed = [];
bus.observe(async (e) => void observed.push(e.type), { maxConcurrent: 2 });
const stream = bus.subscribe({ runId: "r" }, { overflow: "block", bufferSize: 2 });
const consumed = (async () => {
  const out = [];
  for await (const e of stream) out.push(e.seq);
  return out;
})();
const workflow = { name: "smoke" };
for (const input of [
  { type: "run.started", runId: "r", workflow },
  { type: "step.started", runId: "r", workflow, stepId: "a" },
  { type: "step.completed", runId: "r", workflow, stepId: "a", durationMs: 1 },
  { type: "run.completed", runId: "r", workflow, durationMs: 1 },
]) {
  const pending = bus.emit(input);
  if (pending) await pending;
}
await bus.close();
assert.deepEqual(seen, [2, 3]);
assert.deepEqual(await consumed, [1, 2, 3, 4]);
assert.deepEqual(observed, ["run.started", "step.started", "step.completed", "run.completed"]);
assert.throws(() => parseEvent({ type: "run.started" }), /\/id/);
console.log(`core ok on node ${process.version}`);
