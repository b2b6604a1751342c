/**
 * Two servers sharing one PostgreSQL store, as two processes would: server A runs the writer,
 * server B only reads, with polling effectively off. B's streams get A's events live only through
 * LISTEN/NOTIFY, so this fails (times out) if the cross-process wake-up does not work.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBus } from "runtrail";
import { createStoreWriter, type EventStore } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { createMemoryTokenStore, createServer, postgresCommitSignal, type RuntrailServer } from "../../src/server/index.js";
import { StreamHub } from "../../src/server/live/stream-hub.js";
import type { CommitNotice } from "../../src/store/index.js";
import { PG_URL, pgAdmin, testSchema } from "../store/store-fixtures.js";
import { range, readSse, runEvents, WsClient } from "./server-fixtures.js";

const schema = testSchema();
const bus = createBus();
let storeA: EventStore;
let storeB: EventStore;
let writer: ReturnType<typeof createStoreWriter>;
let serverA: RuntrailServer;
let serverB: RuntrailServer;
let urlB: string;
let token: string;
const channel = `rt_${schema}`;

beforeAll(async () => {
  storeA = await openPostgresStore({ connectionString: PG_URL, schema });
  storeB = await openPostgresStore({ connectionString: PG_URL, schema });
  writer = createStoreWriter(bus, storeA, { flushIntervalMs: 5 });
  const tokens = createMemoryTokenStore();
  token = (await tokens.create({ accountId: "acme" })).token;
  serverA = await createServer({ store: storeA, bus, writer, auth: { tokens }, onNotice: () => undefined, live: { signals: [(hub) => postgresCommitSignal({ connectionString: PG_URL, channel, writer }, hub)] } });
  serverB = await createServer({ store: storeB, auth: { tokens }, onNotice: () => undefined, live: { pollIntervalMs: 3_600_000, signals: [(hub) => postgresCommitSignal({ connectionString: PG_URL, channel }, hub)] } });
  await serverA.listen();
  urlB = await serverB.listen();
});

afterAll(async () => {
  await serverA.close();
  await serverB.close();
  await writer.close();
  await storeA.close();
  await storeB.close();
  const admin = await pgAdmin();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

describe("cross-process wake-up over PostgreSQL", () => {
  it("streams a run written by another server live, gap-free, to the end", async () => {
    const events = runEvents("pg-run", "acme", 50);
    await bus.emit(events[0]!);
    await writer.flush();
    const reading = readSse(`${urlB}/api/runs/pg-run/stream`, { token });
    const ws = await WsClient.connect(urlB, token);
    ws.send({ op: "subscribe", runId: "pg-run" });
    await ws.until(() => ws.events("pg-run").length === 1);
    for (const event of events.slice(1)) await bus.emit(event);
    const messages = await reading;
    expect(messages.filter((m) => m.kind === "message").map((m) => m.data.seq)).toEqual(range(102));
    await ws.until((m) => m.some((x) => x.type === "end"));
    expect(ws.events("pg-run").map((e) => e.seq)).toEqual(range(102));
    ws.close();
  });

  it("resumes an account stream by cursor with concurrent writers", async () => {
    // Two writers into the same store at once: the store's append lock orders commits, so cursor
    // order is commit order and an account stream resumed by cursor misses nothing.
    const busB = createBus();
    const writerB = createStoreWriter(busB, storeB, { flushIntervalMs: 1, batchSize: 7 });
    const reading = readSse(`${urlB}/api/stream?types=step.completed`, { token, until: (m) => m.length === 200 });
    await Promise.all([
      (async () => {
        for (const event of runEvents("pg-a", "acme", 100)) await bus.emit(event);
      })(),
      (async () => {
        for (const event of runEvents("pg-b", "acme", 100)) await busB.emit(event);
      })(),
    ]);
    // writerB is a bare collector that notifies nobody; a later commit through A wakes B's streams.
    await writerB.close();
    for (const event of runEvents("pg-tail", "acme", 0)) await bus.emit(event);
    const messages = await reading;
    const cursors = messages.map((m) => Number(m.id));
    expect([...cursors].sort((a, b) => a - b)).toEqual(cursors);
    expect(messages.filter((m) => m.data.runId === "pg-a").map((m) => m.data.seq)).toEqual(range(100).map((i) => 2 * i + 1));
    expect(messages.filter((m) => m.data.runId === "pg-b").map((m) => m.data.seq)).toEqual(range(100).map((i) => 2 * i + 1));
  });

  it("announces exactly the committed runs to other processes, and ignores its own announcements", async () => {
    const own = new StreamHub();
    const other = new StreamHub();
    const seen = { own: [] as CommitNotice[], other: [] as CommitNotice[] };
    const record = (hub: StreamHub, into: CommitNotice[]): void => {
      const notify = hub.notify.bind(hub);
      hub.notify = (notice) => {
        into.push(notice);
        notify(notice);
      };
    };
    record(own, seen.own);
    record(other, seen.other);
    const busC = createBus();
    const writerC = createStoreWriter(busC, storeA, { flushIntervalMs: 1 });
    const sender = await postgresCommitSignal({ connectionString: PG_URL, channel: `${channel}_own`, writer: writerC }, own);
    const listener = await postgresCommitSignal({ connectionString: PG_URL, channel: `${channel}_own` }, other);
    for (const event of runEvents("pg-own", "acme", 2)) await busC.emit(event);
    await writerC.flush();
    for (let i = 0; i < 100 && seen.other.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.other.flatMap((notice) => [...notice].map(([account, runs]) => [account, [...(runs ?? [])]]))).toContainEqual(["acme", ["pg-own"]]);
    expect(seen.own).toEqual([]);
    await sender.close();
    await listener.close();
    await writerC.close();
  });
});
