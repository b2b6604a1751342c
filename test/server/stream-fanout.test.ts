/**
 * Live fan-out through the live tail and shared store reads, against a real server on 127.0.0.1,
 * a real SQLite store and real `ws`/`eventsource` clients. The store the server reads through is
 * the real one behind a proxy that counts reads, so a test can tell which path served a stream
 * (tail or store) as well as check what the client got: order, no gap, no duplicate, tenancy,
 * identical bytes for every client.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBus, type EventInput } from "runtrail";
import { createStoreWriter, type EventStore } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { writerCommitSignal } from "../../src/server/live/commit-signals.js";
import { LiveTail } from "../../src/server/live/live-tail.js";
import { StreamHub } from "../../src/server/live/stream-hub.js";
import { pumpStream, type StreamSink } from "../../src/server/live/stream-pump.js";
import { SharedReads } from "../../src/server/live/stream-reads.js";
import { accountSource, runSource } from "../../src/server/live/stream-source.js";
import { emitCommitted, range, readSse, runEvents, startHarness, WsClient, type Harness, type HarnessOptions } from "./server-fixtures.js";

interface Reads {
  readRun: number;
  findEvents: number;
}

/** The store with its two stream reads counted; everything else goes straight through. */
function countReads(store: EventStore): { store: EventStore; reads: Reads } {
  const reads: Reads = { readRun: 0, findEvents: 0 };
  const counted = new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (key === "readRun" || key === "findEvents") {
        return (...args: unknown[]) => {
          reads[key]++;
          return method.apply(target, args);
        };
      }
      return method.bind(target);
    },
  });
  return { store: counted, reads };
}

type Fanout = Harness & { readonly reads: Reads };

async function startFanout(options: HarnessOptions = {}): Promise<Fanout> {
  let reads!: Reads;
  const serveStore = (store: EventStore): EventStore => {
    const counted = countReads(store);
    reads = counted.reads;
    return counted.store;
  };
  const h = await startHarness({ ...options, serveStore });
  return Object.assign(h, { reads });
}

/** Emits `events` in commits of `per`, yielding between them so streams read in between. */
async function produce(f: Fanout, events: readonly EventInput[], per: number): Promise<void> {
  for (let i = 0; i < events.length; i += per) {
    for (const event of events.slice(i, i + per)) await f.bus.emit(event);
    await f.writer.flush();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const ended = (sub: string) => (messages: readonly { type: string; sub?: unknown }[]) => messages.some((m) => m.type === "end" && m.sub === sub);

/** A WebSocket client subscribed to a run, keeping every frame as the exact text received. */
async function rawSubscriber(f: Fanout, token: string, runId: string, after = 0): Promise<{ client: WsClient; frames: string[] }> {
  const client = await WsClient.connect(f.url, token);
  const frames: string[] = [];
  client.ws.on("message", (data) => frames.push(data.toString()));
  client.send({ op: "subscribe", sub: "r", runId, after });
  await client.until((m) => m.some((x) => x.type === "subscribed"));
  return { client, frames };
}

async function waitForStreams(f: Fanout, count: number): Promise<void> {
  for (let i = 0; i < 1_000 && f.server.hub.size < count; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(f.server.hub.size).toBeGreaterThanOrEqual(count);
}

describe("run streams through the live tail", () => {
  let f: Fanout;
  beforeAll(async () => {
    f = await startFanout({ live: { pageSize: 20, tail: { maxEventsPerRun: 50 } } });
  });
  afterAll(async () => {
    await f.close();
  });

  it("serves caught-up streams from the tail: live commits cost no store read", async () => {
    const events = runEvents("tail-live", "acme", 100);
    await emitCommitted(f, events.slice(0, 1));
    const { client } = await rawSubscriber(f, f.tokens.acme, "tail-live");
    await client.until(() => client.events("r").length === 1);
    const before = f.reads.readRun;
    await produce(f, events.slice(1), 10);
    await client.until(ended("r"));
    expect(client.events("r").map((e) => e.seq)).toEqual(range(202));
    expect(f.reads.readRun).toBe(before);
    client.close();
  });

  it("moves streams that start behind the tail from the store to the tail, gap-free under a concurrent writer", async () => {
    const events = runEvents("tail-join", "acme", 600);
    await emitCommitted(f, events.slice(0, 1));
    const before = f.reads.readRun;
    const producer = produce(f, events.slice(1), 7);
    // Clients join while the run is written: each starts behind the tail (50 events) at its own
    // position, reads pages from the store, then takes live commits from the tail.
    const clients: WsClient[] = [];
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 15));
      // A position the store holds: one past it would be answered `cursor_ahead`.
      while ((await f.store.lastSeq("acme", "tail-join")) < i * 40) await new Promise((resolve) => setTimeout(resolve, 2));
      const client = await WsClient.connect(f.url, f.tokens.acme);
      client.send({ op: "subscribe", sub: "r", runId: "tail-join", after: i * 40 });
      clients.push(client);
    }
    await producer;
    for (const [i, client] of clients.entries()) {
      await client.until(ended("r"));
      expect(client.events("r").map((e) => e.seq)).toEqual(range(1_202 - i * 40, i * 40 + 1));
      client.close();
    }
    expect(f.reads.readRun).toBeGreaterThan(before);
    // Six streams through 1,200 events in pages of 20 would be 360 reads from the store alone.
    expect(f.reads.readRun - before).toBeLessThan(300);
  });

  it("never bridges a gap: a run also written by another writer is read from the store for the part it did not see", async () => {
    const runId = "tail-split";
    const first = runEvents(runId, "acme", 5, false);
    await emitCommitted(f, first);
    const { client } = await rawSubscriber(f, f.tokens.acme, runId);
    await client.until(() => client.events("r").length === 11);
    // Seqs 12..21 are committed by a writer the server does not watch (another process's, say).
    const otherBus = createBus();
    otherBus.resumeRun(runId, 11);
    const other = createStoreWriter(otherBus, f.store);
    for (let i = 0; i < 10; i++) await otherBus.emit({ type: "step.started", runId, accountId: "acme", workflow: { name: "etl" }, stepId: `o${i}` });
    await other.close();
    // This process continues at 22: the tail holds 1..11 then 22.., which must not read as one.
    f.bus.resumeRun(runId, 21);
    await emitCommitted(f, [
      { type: "step.started", runId, accountId: "acme", workflow: { name: "etl" }, stepId: "z" },
      { type: "run.completed", runId, accountId: "acme", workflow: { name: "etl" }, durationMs: 1 },
    ]);
    await client.until(ended("r"));
    expect(client.events("r").map((e) => e.seq)).toEqual(range(23));
    client.close();
  });
});

describe("a stream stalled past the tail", () => {
  it("reads what the tail dropped from the store, then returns to the tail, without a gap", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runtrail-fanout-"));
    const real = await openSqliteStore({ path: join(dir, "runtrail.db") });
    const { store, reads: counts } = countReads(real);
    const bus = createBus();
    const writer = createStoreWriter(bus, real, { flushIntervalMs: 5 });
    const hub = new StreamHub();
    const tail = new LiveTail({ maxEventsPerRun: 10 });
    const signal = writerCommitSignal(writer, hub, { bus, tail });
    const events = runEvents("stalled", "acme", 30);
    const commit = async (slice: readonly EventInput[]): Promise<void> => {
      for (const event of slice) await bus.emit(event);
      await writer.flush();
    };
    try {
      await commit(events.slice(0, 5));
      const got: { id: number; phase: string; fromTail: boolean }[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let sends = 0;
      const sink: StreamSink = {
        send(items, phase) {
          // An item is the tail's own object only if it was taken from the tail.
          for (const item of items) got.push({ id: item.id, phase, fromTail: tail.take("acme", "stalled", item.id - 1, 1)?.items[0] === item });
          // The first page is held until the tail has moved past the stream.
          return sends++ === 0 ? gate : undefined;
        },
        heartbeat: () => undefined,
        end: () => undefined,
        cursorAhead: () => undefined,
      };
      const controller = new AbortController();
      const feed = { store, tail, reads: new SharedReads(hub), pageSize: 8 };
      const pump = pumpStream({ store, hub, source: runSource(feed, "acme", "stalled"), after: 0, sink, signal: controller.signal, heartbeatMs: 60_000 });
      while (got.length < 5) await new Promise((resolve) => setTimeout(resolve, 1));
      expect(got.every((item) => item.fromTail)).toBe(true);
      // 40 more events while the stream is held at 5: the tail keeps only 36..45.
      for (let i = 5; i < 45; i += 4) await commit(events.slice(i, i + 4));
      expect(tail.take("acme", "stalled", 5, 100)).toBeUndefined();
      const readsBefore = counts.readRun;
      release();
      while (got.length < 45) await new Promise((resolve) => setTimeout(resolve, 1));
      expect(counts.readRun - readsBefore).toBeGreaterThanOrEqual(4);
      expect(got.slice(5, 35).some((item) => item.fromTail)).toBe(false);
      // Back on the tail once caught up: the last events and the live ones cost no read.
      const caughtUp = counts.readRun;
      await commit(events.slice(45, 55));
      await commit(events.slice(55));
      const outcome = await pump;
      expect(outcome).toEqual({ kind: "ended", lastSeq: 62 });
      expect(got.map((item) => item.id)).toEqual(range(62));
      expect(got.slice(45).filter((item) => !item.fromTail || item.phase !== "live")).toEqual([]);
      expect(counts.readRun).toBe(caughtUp);
    } finally {
      await signal.close();
      await writer.close();
      await real.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("shared store reads", () => {
  it("never lets a stream join a read that started before the commit it is reading for", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runtrail-fanout-"));
    const real = await openSqliteStore({ path: join(dir, "runtrail.db") });
    // The real store; only its answers to findEvents can be held back after the query ran.
    let held: Promise<void> | undefined;
    let queried!: () => void;
    let heldQuery = new Promise<void>((resolve) => (queried = resolve));
    const store = new Proxy(real, {
      get(target, key, receiver) {
        if (key !== "findEvents") return Reflect.get(target, key, receiver) as unknown;
        return async (...args: Parameters<EventStore["findEvents"]>) => {
          const page = await target.findEvents(...args);
          if (held !== undefined) {
            queried();
            await held;
          }
          return page;
        };
      },
    });
    const bus = createBus();
    const writer = createStoreWriter(bus, real, { flushIntervalMs: 5 });
    const hub = new StreamHub();
    const tail = new LiveTail();
    const signal = writerCommitSignal(writer, hub, { bus, tail });
    const feed = { store, tail, reads: new SharedReads(hub), pageSize: 100 };
    const controller = new AbortController();
    const stream = (after: number): { got: number[]; done: Promise<unknown> } => {
      const got: number[] = [];
      const sink: StreamSink = { send: (items) => void got.push(...items.map((item) => item.event.seq)), heartbeat: () => undefined, end: () => undefined, cursorAhead: () => undefined };
      return { got, done: pumpStream({ store, hub, source: accountSource(feed, "acme", { runId: "held" }), after, sink, signal: controller.signal, heartbeatMs: 60_000 }) };
    };
    const events = runEvents("held", "acme", 1, false);
    try {
      await bus.emit(events[0]!);
      await writer.flush();
      const a = stream(0);
      while (a.got.length < 1) await new Promise((resolve) => setTimeout(resolve, 1));
      const cursor = (await real.findEvents("acme", { runId: "held" })).items[0]!.cursor;
      // Commit 1 wakes A, whose read (after `cursor`) runs and is then held.
      let release!: () => void;
      held = new Promise((resolve) => (release = resolve));
      await bus.emit(events[1]!);
      await writer.flush();
      await heldQuery;
      // Commit 2 lands while that read is held; then B starts at A's position.
      heldQuery = new Promise((resolve) => (queried = resolve));
      await bus.emit(events[2]!);
      await writer.flush();
      const b = stream(cursor);
      release();
      held = undefined;
      for (let i = 0; i < 500 && (a.got.length < 3 || b.got.length < 2); i++) await new Promise((resolve) => setTimeout(resolve, 2));
      expect(a.got).toEqual([1, 2, 3]);
      // Joining A's held read would have given B seq 2 only, and nothing would wake it for 3.
      expect(b.got).toEqual([2, 3]);
    } finally {
      controller.abort();
      await signal.close();
      await writer.close();
      await real.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("fan-out to many clients", () => {
  let f: Fanout;
  beforeAll(async () => {
    f = await startFanout({ live: { tail: { finishedGraceMs: 0 } } });
  });
  afterAll(async () => {
    await f.close();
  });

  it("gives 50 clients on one run identical streams, byte for byte", async () => {
    const events = runEvents("fan-50", "acme", 150).map((e, i) => (e.type === "step.completed" ? { ...e, output: { i, text: "é\u2028\"quoted\"" } } : e));
    await emitCommitted(f, events.slice(0, 21));
    const subscribers = await Promise.all(range(50).map(() => rawSubscriber(f, f.tokens.acme, "fan-50")));
    await produce(f, events.slice(21), 13);
    for (const { client } of subscribers) await client.until(ended("r"));
    const [first, ...rest] = subscribers.map(({ frames }) => frames);
    expect(first!.filter((frame) => frame.includes('"event":'))).toHaveLength(302);
    for (const frames of rest) expect(frames).toEqual(first);
    for (const { client } of subscribers) client.close();
  });

  it("sends an event read from the store and the same event from the tail as the same bytes", async () => {
    const events = runEvents("fan-bytes", "acme", 20).map((e, i) => ({ ...e, ...(e.type === "step.completed" ? { output: { i, nested: { a: [1, 2.5, null, "x"] }, password: "hidden" } } : {}) }));
    await emitCommitted(f, events.slice(0, 1));
    const live = await rawSubscriber(f, f.tokens.acme, "fan-bytes");
    await live.client.until(() => live.client.events("r").length === 1);
    await produce(f, events.slice(1), 5);
    await live.client.until(ended("r"));
    // The run has finished and (finishedGraceMs 0) left the tail: this one reads the store.
    const before = f.reads.readRun;
    const late = await rawSubscriber(f, f.tokens.acme, "fan-bytes");
    await late.client.until(ended("r"));
    expect(f.reads.readRun).toBeGreaterThan(before);
    const eventFrames = (frames: readonly string[]): string[] => frames.filter((frame) => frame.includes('"event":')).slice(1);
    const fromTail = eventFrames(live.frames);
    const fromStore = eventFrames(late.frames).map((frame) => frame.replace('{"type":"history"', '{"type":"live"'));
    expect(fromTail).toHaveLength(41);
    expect(fromStore).toEqual(fromTail);
    expect(fromTail.some((frame) => frame.includes('"password":"[REDACTED]"'))).toBe(true);
    live.client.close();
    late.client.close();
  });

  // The stores key runs by id alone (a second account cannot store a run under the same id), so
  // the same id in two accounts is checked where it could still mix: in the tail
  // (live-tail.test.ts). Here: two accounts' runs in the same commits, and a foreign account
  // asking for a run whose events sit in the tail.
  it("never gives one account's events to another account's stream", async () => {
    const acme = runEvents("tenant-a", "acme", 60);
    const globex = runEvents("tenant-g", "globex", 40);
    await emitCommitted(f, [acme[0]!, globex[0]!]);
    const a = await rawSubscriber(f, f.tokens.acme, "tenant-a");
    const g = await rawSubscriber(f, f.tokens.globex, "tenant-g");
    const sseA = readSse(`${f.url}/api/runs/tenant-a/stream`, { token: f.tokens.acme });
    const sseG = readSse(`${f.url}/api/stream?runId=tenant-a`, { token: f.tokens.globex, until: (m) => m.length > 0, timeoutMs: 1_000 }).catch((error: Error) => error);
    await waitForStreams(f, 4);
    const mixed: EventInput[] = [];
    for (let i = 1; i < acme.length; i++) mixed.push(acme[i]!, ...(globex[i] === undefined ? [] : [globex[i]!]));
    await produce(f, mixed, 9);
    await a.client.until(ended("r"));
    await g.client.until(ended("r"));
    const accounts = (client: WsClient): unknown[] => [...new Set(client.messages.filter((m) => m.type === "history" || m.type === "live").map((m) => (m.event as { accountId: string }).accountId))];
    expect(accounts(a.client)).toEqual(["acme"]);
    expect(accounts(g.client)).toEqual(["globex"]);
    expect(a.client.events("r").map((e) => e.seq)).toEqual(range(122));
    expect(g.client.events("r").map((e) => e.seq)).toEqual(range(82));
    const ma = await sseA;
    expect(new Set(ma.filter((m) => m.kind === "message").map((m) => m.data.accountId))).toEqual(new Set(["acme"]));
    expect(ma.filter((m) => m.kind === "message").map((m) => m.data.seq)).toEqual(range(122));
    // globex's account stream filtered on acme's run id got nothing (it timed out).
    expect(await sseG).toBeInstanceOf(Error);

    // Asking for acme's run as globex: not found, whatever the tail holds.
    const events = runEvents("tenant-live", "acme", 5, false);
    await emitCommitted(f, events);
    const foreign = await WsClient.connect(f.url, f.tokens.globex);
    foreign.send({ op: "subscribe", sub: "x", runId: "tenant-live", after: 0 });
    await foreign.until((m) => m.length > 0);
    expect(foreign.messages).toEqual([{ type: "error", code: "not_found", sub: "x", message: 'no run "tenant-live"' }]);
    const sse = await fetch(`${f.url}/api/runs/tenant-live/stream`, { headers: { authorization: `Bearer ${f.tokens.globex}` } });
    expect(sse.status).toBe(404);
    a.client.close();
    g.client.close();
    foreign.close();
  });

  it("shares one store read among account streams at the same position", async () => {
    const readers = range(20).map(() => readSse(`${f.url}/api/stream?runId=acct-shared`, { token: f.tokens.acme, until: (m) => m.length === 42 }));
    await waitForStreams(f, 20);
    const before = f.reads.findEvents;
    await produce(f, runEvents("acct-shared", "acme", 20), 6);
    const results = await Promise.all(readers);
    for (const messages of results) expect(messages).toEqual(results[0]);
    expect(results[0]!.map((m) => m.data.seq)).toEqual(range(42));
    // 7 commits wake 20 streams: one read per commit (and per page), not one per stream.
    expect(f.reads.findEvents - before).toBeLessThan(40);
  });
});
