/**
 * Collectors on the real NATS server into real stores (SQLite, PostgreSQL): several worker
 * processes, one collector, every event stored exactly once in seq order; the collector SIGKILLed
 * mid-stream and restarted; two collectors sharing one consumer; a collector whose NATS
 * connection is cut and restored; events out of order, doubled past the duplicate window, invalid.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { jetstream } from "@nats-io/jetstream";
import { afterEach, describe, expect, it } from "vitest";
import type { RuntrailEvent } from "runtrail";
import { eventSubject, startNatsCollector, type NatsCollector } from "runtrail/nats";
import { iterateRun, type EventStore } from "../../../src/store/index.js";
import { PG_URL, STORES, pgAdmin, testSchema } from "../../store/store-fixtures.js";
import { openPostgresStore } from "../../../src/store/postgres/index.js";
import { openSqliteStore } from "../../../src/store/sqlite/index.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { NatsProxy, natsConnect, range, sleep, testStream, until, type TestNames } from "./nats-fixtures.js";

const child = fileURLToPath(new URL("./nats-child.ts", import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a child; resolves once it printed `ready`/`done` as asked, with its output lines as they come. */
function start(args: string[], onLine: (line: string) => void = () => undefined): ChildProcess {
  const proc = spawn(process.execPath, ["--import", "tsx", child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let buffer = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  let stderr = "";
  proc.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  proc.on("exit", (code, signal) => {
    if (code !== 0 && signal !== "SIGKILL" && signal !== "SIGTERM") console.error(`child ${args[0]} exited ${code}: ${stderr}`);
  });
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  });
  return proc;
}

const exited = (proc: ChildProcess): Promise<number | null> =>
  proc.exitCode !== null ? Promise.resolve(proc.exitCode) : new Promise((resolve) => proc.on("exit", (code) => resolve(code)));

const ACCOUNTS = ["acme.eu", "b * >", "ü ber"];
const RUNS = 2;

/** Each expected run and its seqs as stored, and the run rows' event counts. */
async function stored(store: EventStore, events: number): Promise<{ seqs: Map<string, number[]>; counts: number[] }> {
  const seqs = new Map<string, number[]>();
  const counts: number[] = [];
  for (const accountId of ACCOUNTS) {
    for (let r = 0; r < RUNS; r++) {
      const runId = `${accountId}.run ${r}`;
      const list: number[] = [];
      for await (const { event } of iterateRun(store, accountId, runId, { pageSize: 5_000 })) list.push(event.seq);
      seqs.set(runId, list);
      counts.push((await store.getRun(accountId, runId))?.eventCount ?? 0);
    }
  }
  void events;
  return { seqs, counts };
}

async function allStored(store: EventStore, events: number): Promise<boolean> {
  const { counts } = await stored(store, events);
  return counts.every((count) => count >= events);
}

function expectExactlyOnce(result: { seqs: Map<string, number[]>; counts: number[] }, events: number): void {
  for (const [runId, seqs] of result.seqs) expect(seqs, runId).toEqual(range(events));
  expect(result.counts).toEqual(ACCOUNTS.flatMap(() => Array.from({ length: RUNS }, () => events)));
}

function workers(names: TestNames, events: number): ChildProcess[] {
  return ACCOUNTS.map((account) => start(["worker", names.stream, names.prefix, account, String(RUNS), String(events)]));
}

for (const factory of STORES) {
  describe(`NATS collector into ${factory.name}`, () => {
    /** A store the children and the parent open alike (a file, a schema), a NATS stream, names. */
    async function setup(): Promise<{ store: EventStore; reopen: () => Promise<EventStore>; names: TestNames; where: string; nc: NatsConnection }> {
      const nc = await natsConnect();
      cleanups.push(() => nc.close());
      const names = await testStream(nc);
      cleanups.push(() => names.dispose());
      let where: string;
      let open: () => Promise<EventStore>;
      if (factory.name === "sqlite") {
        const dir = mkdtempSync(join(tmpdir(), "runtrail-nats-"));
        cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
        where = join(dir, "collected.db");
        open = () => openSqliteStore({ path: where });
      } else {
        const admin = await pgAdmin();
        where = testSchema();
        cleanups.push(async () => {
          await admin.query(`DROP SCHEMA IF EXISTS ${where} CASCADE`);
          await admin.end();
        });
        open = () => openPostgresStore({ connectionString: PG_URL, schema: where });
      }
      const reopen = async (): Promise<EventStore> => {
        const store = await open();
        cleanups.push(() => store.close());
        return store;
      };
      return { store: await reopen(), reopen, names, where, nc };
    }

    it("stores every event of several worker processes exactly once, in seq order", async () => {
      const { store, names, nc } = await setup();
      const collector = await startNatsCollector(nc, store, { stream: names.stream, prefix: names.prefix, durable: names.durable, commitSubject: names.commitSubject });
      cleanups.push(() => collector.close());
      const events = 400;
      await Promise.all(workers(names, events).map(exited));
      await until(() => allStored(store, events), "every event stored", 30_000);
      await collector.close();
      expectExactlyOnce(await stored(store, events), events);
      expect(collector.stats()).toMatchObject({ stored: ACCOUNTS.length * RUNS * events, invalid: 0 });
    }, 60_000);

    it("stores nothing twice and misses nothing when the collector is SIGKILLed mid-stream and restarted", async () => {
      const { store, names, where } = await setup();
      const events = 400;
      const collectorArgs = ["collector", names.stream, names.prefix, names.durable, names.commitSubject, factory.name, where];
      let committed = 0;
      let ready = false;
      const first = start(collectorArgs, (line) => {
        if (line === "ready") ready = true;
        else if (line.startsWith("committed ")) committed = Number(line.slice(10));
      });
      await until(() => ready, "the collector to start", 20_000);
      const running = workers(names, events);
      await until(() => committed >= 300, "the first commits", 30_000);
      first.kill("SIGKILL");
      await exited(first);
      const before = (await stored(store, events)).counts.reduce((a, b) => a + b, 0);
      // Killed mid-stream: some stored, not all (the workers are still publishing).
      expect(before).toBeGreaterThanOrEqual(300);
      expect(before).toBeLessThan(ACCOUNTS.length * RUNS * events);
      start(collectorArgs);
      await Promise.all(running.map(exited));
      await until(() => allStored(store, events), "every event stored after the restart", 40_000);
      await sleep(1_500); // an ack wait: redeliveries of what the killed collector held would land now
      expectExactlyOnce(await stored(store, events), events);
    }, 90_000);

    it("shares one consumer between two collectors, each event stored once", async () => {
      const { store, reopen, names, nc } = await setup();
      const options = { stream: names.stream, prefix: names.prefix, durable: names.durable, commitSubject: names.commitSubject, gapDelayMs: 50, pullBatch: 50 };
      const collectors: NatsCollector[] = [];
      for (const target of [store, await reopen()]) {
        const collector = await startNatsCollector(nc, target, options);
        cleanups.push(() => collector.close());
        collectors.push(collector);
      }
      const events = 300;
      await Promise.all(workers(names, events).map(exited));
      await until(() => allStored(store, events), "every event stored", 40_000);
      for (const collector of collectors) await collector.close();
      expectExactlyOnce(await stored(store, events), events);
      const [a, b] = collectors.map((c) => c.stats());
      // Both took part; together they handed each event to a writer about once (a race costs a skipped duplicate, never a second row).
      expect(a!.stored).toBeGreaterThan(0);
      expect(b!.stored).toBeGreaterThan(0);
      expect(a!.stored + b!.stored).toBeGreaterThanOrEqual(ACCOUNTS.length * RUNS * events);
    }, 90_000);

    it("loses nothing and doubles nothing when its NATS connection is cut and restored", async () => {
      const { store, names } = await setup();
      const proxy = new NatsProxy();
      const servers = await proxy.start();
      cleanups.push(() => proxy.close());
      const nc = await natsConnect({ servers, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
      cleanups.push(() => nc.close());
      const collector = await startNatsCollector(nc, store, { stream: names.stream, prefix: names.prefix, durable: names.durable, commitSubject: names.commitSubject, ackWaitMs: 1_000 });
      cleanups.push(() => collector.close());
      const events = 300;
      const running = workers(names, events);
      await until(() => collector.stats().stored >= 200, "the first events", 30_000);
      await proxy.cut();
      await sleep(2_000);
      await proxy.restore();
      await Promise.all(running.map(exited));
      await until(() => allStored(store, events), "every event stored after the cut", 40_000);
      await sleep(1_500);
      expectExactlyOnce(await stored(store, events), events);
    }, 90_000);

    it("orders a run's events that reached the stream out of order, skips doubles, terminates what is no event", async () => {
      const { store, names, nc } = await setup();
      const js = jetstream(nc);
      const workflow = { name: "ooo" };
      const event = (seq: number): RuntrailEvent =>
        ({ type: seq === 1 ? "run.started" : "x.tick", id: `o:${seq}`, runId: "o", accountId: "acme.eu", workflow, seq, ts: 1_000 + seq }) as RuntrailEvent;
      const publish = (e: RuntrailEvent, msgID: string) => js.publish(eventSubject(names.prefix, e), JSON.stringify(e), { msgID });
      // 2 before 1 (a publisher retried 1), 2 again past the duplicate window (another msg id), then garbage.
      await publish(event(2), "a");
      await publish(event(1), "b");
      await publish(event(2), "c");
      await js.publish(`${names.prefix}.acme.ooo.o.x.tick`, "{not json", { msgID: "d" });
      await publish(event(3), "e");
      const invalid: string[] = [];
      const collector = await startNatsCollector(nc, store, { stream: names.stream, prefix: names.prefix, durable: names.durable, commitSubject: false, gapDelayMs: 50, onInvalid: (_e, subject) => invalid.push(subject) });
      cleanups.push(() => collector.close());
      await until(async () => (await store.lastSeq("acme.eu", "o")) === 3, "the run stored", 20_000);
      await collector.close();
      const seqs: number[] = [];
      for await (const { event: e } of iterateRun(store, "acme.eu", "o")) seqs.push(e.seq);
      expect(seqs).toEqual([1, 2, 3]);
      expect(collector.stats()).toMatchObject({ stored: 3, invalid: 1 });
      expect(collector.stats().gaps).toBeGreaterThan(0);
      expect(collector.stats().duplicates).toBeGreaterThan(0);
      expect(invalid).toEqual([`${names.prefix}.acme.ooo.o.x.tick`]);
      // What was stored is as published: ts and ids kept, not restamped.
      const page = await store.readRun("acme.eu", "o");
      expect(page.items.map((i) => [i.event.id, i.event.ts])).toEqual([["o:1", 1_001], ["o:2", 1_002], ["o:3", 1_003]]);
    }, 60_000);
  });
}
