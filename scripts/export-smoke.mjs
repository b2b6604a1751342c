// Runs the built export entry points (dist/) in plain Node, as a user would import them
// (`runtrail/otel`, `runtrail/cloudevents`, `runtrail/asyncapi`): each loads with its peer
// dependencies' real ESM/CJS builds, not the test runner's transforms.
import assert from "node:assert/strict";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { asyncApiDocument } from "../dist/asyncapi/index.js";
import { fromCloudEvent, fromHttpMessage, toCloudEvent, toHttpMessage } from "../dist/bridges/cloudevents/index.js";
import { createOtelExporter } from "../dist/bridges/otel/index.js";
import { createBus, workflow } from "../dist/index.js";

const spans = new InMemorySpanExporter();
const bus = createBus();
const exporter = createOtelExporter({ bus, tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }) });
const events = [];
bus.onEvent((event) => events.push(event));
const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
await workflow("smoke").step("a", () => 1).build().run(undefined, { bus, ...exporter.runOptions({ traceparent }) });
await exporter.close();
assert.deepEqual(spans.getFinishedSpans().map((span) => span.name).sort(), ["run smoke", "step a", "step a attempt 1", "wave 0"]);
assert.ok(spans.getFinishedSpans().every((span) => span.spanContext().traceId === "0af7651916cd43dd8448eb211c80319c"));
for (const event of events) {
  assert.equal(JSON.stringify(fromCloudEvent(toCloudEvent(event))), JSON.stringify(event));
  assert.equal(JSON.stringify(fromHttpMessage(toHttpMessage(event, "binary"))), JSON.stringify([event]));
}
assert.equal(asyncApiDocument().asyncapi, "3.1.0");
console.log(`export smoke: ${spans.getFinishedSpans().length} spans, ${events.length} CloudEvents round-trips, AsyncAPI ok`);
