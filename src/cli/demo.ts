/**
 * `npm run demo`: a small run's trail, printed live by a listener and read back by a stream.
 * (The engine issue replaces the hand-emitted events with a real workflow.)
 */
import { createBus, type EventInput } from "../index.js";

const bus = createBus();
const workflow = { name: "demo", version: "1" };
const runId = `run-${Date.now().toString(36)}`;

bus.onEvent((event) => {
  const step = event.stepId ? ` ${event.stepId}` : "";
  console.log(`#${String(event.seq).padStart(2)} ${event.type}${step}`);
});
const failures = bus.subscribe({ type: ["step.failed", "run.failed"] });

const base = { runId, workflow };
const steps = ["fetch", "transform", "load"];
const events: EventInput[] = [{ type: "run.started", ...base, input: { rows: 3 } }];
for (const stepId of steps) {
  events.push({ type: "step.started", ...base, stepId });
  events.push({ type: "step.completed", ...base, stepId, durationMs: 1, metrics: { rows: 3 } });
}
events.push({ type: "run.completed", ...base, durationMs: 3 });
for (const event of events) await bus.emit(event);

await bus.close();
let failed = 0;
for await (const _ of failures) failed++;
console.log(`run ${runId}: ${events.length} events, ${failed} failures, bus stats ${JSON.stringify(bus.stats())}`);
