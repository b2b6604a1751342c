/**
 * The NATS bridge, against the official client on the same NATS server, in the same run:
 * - publish: events/s from `bus.emit` to every JetStream ack, through the publisher (1,000 acks
 *   in flight), beside the client's raw `js.publish` of the same messages (same subjects, bodies,
 *   msg ids) with 1,000 acks in flight, and awaited one by one;
 * - collect: events/s from a filled stream into PostgreSQL through the collector, beside the store
 *   writer alone writing the same events from a bus (the collector's floor: it writes through it);
 * - end to end: emit → publisher → JetStream → collector → PostgreSQL committed, beside the raw
 *   pipelined publish rate (the target: at least half of it);
 * - latency: emit-to-committed p50/p99 at a paced 1,000 events/s.
 * Each sample uses a stream (in memory) and a PostgreSQL schema of its own.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import pg from "pg";
import { createBus, type EventInput, type RuntrailEvent } from "../../src/index.js";
import { createNatsPublisher, ensureNatsStream, eventSubject, startNatsCollector } from "../../src/bridges/nats/index.js";
import { createStoreWriter, type EventStore } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { median, percentile, type BenchRow } from "../harness.js";

const PG_URL = process.env.RUNTRAIL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS_URL = process.env.RUNTRAIL_NATS_URL ?? "127.0.0.1:4222";
const SAMPLES = Number(process.env.RUNTRAIL_BENCH_SAMPLES ?? 3);
const EVENTS = 20_000;
const RUNS = 100;
const IN_FLIGHT = 1_000;
const payload = { text: "lorem ipsum ".repeat(15).slice(0, 170), n: 42 };
const workflow = { name: "bench" };

const input = (i: number): EventInput => ({ type: "step.completed", runId: `run-${i % RUNS}`, workflow, stepId: `s${i % 7}`, durationMs: 3, output: payload });

let sampleId = 0;
async function scratch(nc: NatsConnection): Promise<{ stream: string; prefix: string; schema: string; drop(): Promise<void> }> {
  const id = `${process.pid}_${sampleId++}`;
  const names = { stream: `RT_BENCH_${id}`, prefix: `rt_bench_${id}.ev`, schema: `rt_bench_${id}` };
  await ensureNatsStream(nc, { name: names.stream, prefix: names.prefix, storage: "memory" });
  return {
    ...names,
    async drop() {
      await (await jetstreamManager(nc)).streams.delete(names.stream);
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${names.schema} CASCADE`);
      await admin.end();
    },
  };
}

/** The events as the bus stamps them, to publish raw. */
function stamped(): RuntrailEvent[] {
  const bus = createBus();
  const out: RuntrailEvent[] = [];
  bus.onEvent((event) => void out.push(event));
  for (let i = 0; i < EVENTS; i++) void bus.emit(input(i));
  return out;
}

const rate = (count: number, startNs: bigint): number => count / (Number(process.hrtime.bigint() - startNs) / 1e9);

async function publisherRate(nc: NatsConnection, prefix: string): Promise<number> {
  const bus = createBus();
  const publisher = createNatsPublisher(bus, nc, { prefix, maxInFlight: IN_FLIGHT, bufferSize: EVENTS });
  const start = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) {
    const pressure = bus.emit(input(i));
    if (pressure !== undefined) await pressure;
  }
  await publisher.close();
  return rate(EVENTS, start);
}

/** The official client's publish loop with `window` acks in flight (1: awaited one by one). */
async function rawPublish(nc: NatsConnection, prefix: string, events: readonly RuntrailEvent[], window: number): Promise<number> {
  const js = jetstream(nc);
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let failed: unknown;
  const acked = (): void => {
    inFlight--;
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const start = process.hrtime.bigint();
  for (const event of events) {
    while (inFlight >= window) await new Promise<void>((resolve) => (wake = resolve));
    inFlight++;
    js.publish(eventSubject(prefix, event), JSON.stringify(event), { msgID: event.id }).then(acked, (error: unknown) => {
      failed = error;
      acked();
    });
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  if (failed !== undefined) throw failed instanceof Error ? failed : new Error(String(failed));
  return rate(events.length, start);
}

/** Waits until `store` holds every event (the runs' last seqs add up). */
async function waitStored(store: EventStore, total: number): Promise<void> {
  for (;;) {
    let stored = 0;
    for (let r = 0; r < RUNS; r++) stored += await store.lastSeq("default", `run-${r}`);
    if (stored >= total) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Events/s from a filled stream into PostgreSQL through a collector. */
async function collectorRate(nc: NatsConnection, stream: string, prefix: string, schema: string): Promise<number> {
  const store = await openPostgresStore({ connectionString: PG_URL, schema });
  let committed = 0;
  let allIn: (() => void) | undefined;
  const start = process.hrtime.bigint();
  const collector = await startNatsCollector(nc, store, { stream, prefix, durable: "bench", commitSubject: false });
  collector.writer.onCommit((batch) => {
    committed += batch.events.length;
    if (committed >= EVENTS) allIn?.();
  });
  if (committed < EVENTS) await new Promise<void>((resolve) => (allIn = resolve));
  const result = rate(EVENTS, start);
  await collector.close();
  await store.close();
  return result;
}

/** Events/s through the store writer alone, from a bus, into PostgreSQL. */
async function writerRate(schema: string): Promise<number> {
  const store = await openPostgresStore({ connectionString: PG_URL, schema });
  const bus = createBus();
  const writer = createStoreWriter(bus, store, { batchSize: 2_000, flushIntervalMs: 50 });
  const start = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) {
    const pressure = bus.emit(input(i));
    if (pressure !== undefined) await pressure;
  }
  await writer.close();
  const result = rate(EVENTS, start);
  await store.close();
  return result;
}

/** Emit → publisher → JetStream → collector → committed in PostgreSQL, all at once. */
async function endToEndRate(nc: NatsConnection, stream: string, prefix: string, schema: string): Promise<number> {
  const store = await openPostgresStore({ connectionString: PG_URL, schema });
  const collector = await startNatsCollector(nc, store, { stream, prefix, durable: "bench", commitSubject: false });
  let committed = 0;
  let allIn: (() => void) | undefined;
  collector.writer.onCommit((batch) => {
    committed += batch.events.length;
    if (committed >= EVENTS) allIn?.();
  });
  const bus = createBus();
  const publisher = createNatsPublisher(bus, nc, { prefix, maxInFlight: IN_FLIGHT, bufferSize: EVENTS });
  const stored = new Promise<void>((resolve) => (allIn = resolve));
  const start = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) {
    const pressure = bus.emit(input(i));
    if (pressure !== undefined) await pressure;
  }
  await stored;
  const result = rate(EVENTS, start);
  await publisher.close();
  await collector.close();
  await store.close();
  return result;
}

/** Emit-to-committed latency (ms) at a paced 1,000 events/s for 3 s. */
async function pacedLatency(nc: NatsConnection, stream: string, prefix: string, schema: string): Promise<number[]> {
  const store = await openPostgresStore({ connectionString: PG_URL, schema });
  const collector = await startNatsCollector(nc, store, { stream, prefix, durable: "bench", commitSubject: false, writer: { flushIntervalMs: 5 } });
  const emittedAt = new Map<string, number>();
  const latencies: number[] = [];
  collector.writer.onCommit((batch) => {
    const now = performance.now();
    for (const { event } of batch.events) latencies.push(now - emittedAt.get(event.id)!);
  });
  const bus = createBus();
  const publisher = createNatsPublisher(bus, nc, { prefix });
  bus.onEvent((event) => void emittedAt.set(event.id, performance.now()));
  const total = 3_000;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    void bus.emit(input(i));
  }
  await publisher.close();
  await waitStored(store, total);
  await collector.close();
  await store.close();
  return latencies;
}

export default async function (): Promise<BenchRow[]> {
  const nc = await connect({ servers: NATS_URL, timeout: 3_000 }).catch((error: unknown) => {
    throw new Error(`NATS is not reachable at ${NATS_URL}: start it with start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log (${String(error)})`);
  });
  const events = stamped();
  const samples = { publisher: [] as number[], raw: [] as number[], awaited: [] as number[], collector: [] as number[], writer: [] as number[], endToEnd: [] as number[] };
  try {
    // Warm-up: JIT, connections, the server's stream code paths.
    const warm = await scratch(nc);
    await publisherRate(nc, warm.prefix);
    await warm.drop();
    for (let s = 0; s < SAMPLES; s++) {
      const a = await scratch(nc);
      samples.publisher.push(await publisherRate(nc, a.prefix));
      samples.collector.push(await collectorRate(nc, a.stream, a.prefix, a.schema));
      await a.drop();
      const b = await scratch(nc);
      samples.raw.push(await rawPublish(nc, b.prefix, events, IN_FLIGHT));
      samples.writer.push(await writerRate(b.schema));
      await b.drop();
      const c = await scratch(nc);
      samples.awaited.push(await rawPublish(nc, c.prefix, events.slice(0, 3_000), 1));
      await c.drop();
      const d = await scratch(nc);
      samples.endToEnd.push(await endToEndRate(nc, d.stream, d.prefix, d.schema));
      await d.drop();
    }
    const e = await scratch(nc);
    const latencies = await pacedLatency(nc, e.stream, e.prefix, e.schema);
    await e.drop();
    const raw = median(samples.raw);
    const awaited = median(samples.awaited);
    const peers = { "raw js.publish, 1,000 acks in flight": raw, "raw js.publish, awaited one by one": awaited };
    const note = `${EVENTS.toLocaleString("en-US")} events of ~300 B over ${RUNS} runs, median of ${SAMPLES}`;
    return [
      { case: "publish to JetStream (every ack in)", metric: "throughput", unit: "events/s", runtrail: median(samples.publisher), peers, higherIsBetter: true, note: `${note}; target ≥ 0.8 of the pipelined raw rate` },
      { case: "stream → PostgreSQL (collector)", metric: "throughput", unit: "events/s", runtrail: median(samples.collector), peers: {}, limit: { name: "store writer alone, from a bus", value: median(samples.writer) }, higherIsBetter: true, note },
      { case: "end to end: emit → JetStream → collector → PostgreSQL", metric: "throughput", unit: "events/s", runtrail: median(samples.endToEnd), peers, higherIsBetter: true, note: `${note}; target ≥ 0.5 of the pipelined raw rate` },
      { case: "emit → committed in PostgreSQL, paced 1,000 events/s", metric: "p50 latency", unit: "ms", runtrail: percentile(latencies, 50), peers: {}, note: "3,000 events" },
      { case: "emit → committed in PostgreSQL, paced 1,000 events/s", metric: "p99 latency", unit: "ms", runtrail: percentile(latencies, 99), peers: {}, note: "3,000 events" },
    ];
  } finally {
    await nc.close();
  }
}
