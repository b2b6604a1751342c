/**
 * The `export` suite (`npm run bench -- export`): what the OpenTelemetry exporter and the
 * CloudEvents mapping cost per event. The exporter, on a bus with a no-op span exporter, against
 * the same bus with no consumer (what the producer pays: it is a `drop-oldest` subscriber, so
 * the run never waits for it) and against the same spans made by hand with the OTel SDK (what
 * the translation from events adds to the SDK's own cost). Every run checks the span count.
 * Each figure is the best of {@link ROUNDS} rounds, each round a median of samples.
 */
import { availableParallelism, loadavg } from "node:os";
import { createBus, type RuntrailEvent } from "runtrail";
import { createOtelExporter } from "runtrail/otel";
import { toCloudEvent, toHttpBatch } from "runtrail/cloudevents";
import { measure, measureSync, type BenchRow } from "../harness.js";
import { emitRun, EVENTS_PER_RUN, handMadeRun, noopProvider, SPANS_PER_RUN } from "../peers/export-trail.js";

const RUNS = 50;
const EVENTS = RUNS * EVENTS_PER_RUN;
const SAMPLES = 7;
const ITERATIONS = 5;

function busAlone(): number {
  const bus = createBus();
  return measureSync(() => {
    for (let r = 0; r < RUNS; r++) emitRun(bus);
  }, { iterations: ITERATIONS, samples: SAMPLES });
}

/** ns per batch of RUNS runs: the producer's time only, and until the exporter has made every span. */
async function withExporter(): Promise<{ producer: number; total: number }> {
  const { provider, exporter: sink } = noopProvider();
  const bus = createBus();
  const exporter = createOtelExporter({ bus, tracerProvider: provider, bufferSize: EVENTS * 2 });
  let producerNs = 0;
  let batches = 0;
  const total = await measure(async () => {
    const start = process.hrtime.bigint();
    for (let r = 0; r < RUNS; r++) emitRun(bus);
    producerNs += Number(process.hrtime.bigint() - start);
    batches++;
    await exporter.flush();
  }, { iterations: ITERATIONS, samples: SAMPLES });
  await exporter.close();
  if (exporter.stats().dropped > 0) throw new Error(`the exporter dropped ${exporter.stats().dropped} events`);
  if (sink.spans !== batches * RUNS * SPANS_PER_RUN) throw new Error(`expected ${batches * RUNS * SPANS_PER_RUN} spans, got ${sink.spans}`);
  return { producer: producerNs / batches, total };
}

/** The spans by hand, a batch at a time, then a macrotask as the exporter gets: the SDK's export promises settle. */
async function handMade(): Promise<number> {
  const { provider, exporter: sink } = noopProvider();
  const tracer = provider.getTracer("bench");
  let calls = 0;
  const ns = await measure(async () => {
    calls++;
    for (let r = 0; r < RUNS; r++) handMadeRun(tracer);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }, { iterations: ITERATIONS, samples: SAMPLES });
  if (sink.spans !== calls * RUNS * SPANS_PER_RUN) throw new Error(`hand-made: expected ${calls * RUNS * SPANS_PER_RUN} spans, got ${sink.spans}`);
  return ns;
}

function sampleEvents(): RuntrailEvent[] {
  const bus = createBus();
  const events: RuntrailEvent[] = [];
  bus.onEvent((event) => events.push(event));
  for (let r = 0; r < RUNS; r++) emitRun(bus);
  return events;
}

/** Rounds of every measurement, in turn; the best of each is kept (the one least disturbed by other processes). */
const ROUNDS = 3;

export default async function exportSuite(): Promise<BenchRow[]> {
  const load = `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs at start`;
  const perEvent = (ns: number): number => ns / EVENTS;
  let alone = Infinity;
  let hand = Infinity;
  let producer = Infinity;
  let total = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    alone = Math.min(alone, perEvent(busAlone()));
    const exported = await withExporter();
    producer = Math.min(producer, perEvent(exported.producer));
    total = Math.min(total, perEvent(exported.total));
    hand = Math.min(hand, perEvent(await handMade()));
  }

  const events = sampleEvents();
  const stringify = measureSync((i) => JSON.stringify(events[i % events.length]), { iterations: 20_000 });
  const mapping = measureSync((i) => toCloudEvent(events[i % events.length]!), { iterations: 20_000 });
  const batch = measureSync((i) => toHttpBatch(events.slice((i % 18) * 100, (i % 18) * 100 + 100)), { iterations: 200 }) / 100;

  return [
    {
      case: "emit with the OTel exporter attached, producer side",
      metric: "ns per event",
      unit: "ns",
      runtrail: producer,
      peers: {},
      limit: { name: "same bus, no consumer", value: alone },
      note: `the exporter adds ${(producer - alone).toFixed(0)} ns to each emit (a push into its subscription's buffer); the spans are made later, off the producer's call; ${load}`,
    },
    {
      case: "OTel exporter, event to ended span (no-op span exporter)",
      metric: "ns per event",
      unit: "ns",
      runtrail: total - alone,
      peers: { "OTel SDK, same spans by hand": hand },
      note: `${SPANS_PER_RUN} spans from ${EVENTS_PER_RUN} events per run; exporter cost = (emit + export) − emit alone; the peer makes the same spans directly, divided by the same event count`,
    },
    {
      case: "toCloudEvent",
      metric: "ns per event",
      unit: "ns",
      runtrail: mapping,
      peers: { "JSON.stringify(event)": stringify },
      note: "a CloudEvent object with the event as data (the SDK's constructor, not validated)",
    },
    {
      case: "toHttpBatch (100 events, structured JSON)",
      metric: "ns per event",
      unit: "ns",
      runtrail: batch,
      peers: { "JSON.stringify(event)": stringify },
      note: "what the HTTP sink does per event before the POST",
    },
  ];
}
