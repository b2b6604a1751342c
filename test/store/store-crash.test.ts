/**
 * Crash safety, with real processes and real databases: a producer killed with SIGKILL keeps
 * every event it was told was written (`sync`), loses at most the documented bound (`batched`),
 * and never leaves a gap; a PostgreSQL connection killed mid-run loses nothing.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createBus } from "runtrail";
import { createStoreWriter, iterateRun, type EventStore, type WriterFailure } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { PG_URL, STORES, pgAdmin, testSchema } from "./store-fixtures.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const child = fileURLToPath(new URL("./crash-child.ts", import.meta.url));

interface Killed {
  /** The last line-reported value before the kill (`ack` seq, or `emitted` seq). */
  lastReported: number;
  /** `emitted` lines: seq and the child's clock. */
  emitted: { seq: number; at: number }[];
  killedAt: number;
}

/** Runs the child until it has reported `until` events, then SIGKILLs it. */
function runAndKill(args: string[], until: number): Promise<Killed> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let buffer = "";
    let stderr = "";
    const result: Killed = { lastReported: 0, emitted: [], killedAt: 0 };
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const [word, seq, at] = line.split(" ");
        if (word === "ack" || word === "emitted") result.lastReported = Number(seq);
        if (word === "emitted") result.emitted.push({ seq: Number(seq), at: Number(at) });
      }
      if (result.lastReported >= until && result.killedAt === 0) {
        result.killedAt = Date.now();
        proc.kill("SIGKILL");
      }
    });
    proc.on("exit", (_code, signal) => {
      if (signal === "SIGKILL") resolve(result);
      else reject(new Error(`child exited without being killed: ${stderr}`));
    });
  });
}

async function storedSeqs(store: EventStore): Promise<number[]> {
  const seqs: number[] = [];
  for await (const { event } of iterateRun(store, "default", "crash", { pageSize: 5_000 })) seqs.push(event.seq);
  return seqs;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

for (const factory of STORES) {
  describe(`crash safety: ${factory.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    /** Where the child writes, and a store onto the same data for the parent. */
    async function target(): Promise<{ args: string[]; open: () => Promise<EventStore> }> {
      if (factory.name === "sqlite") {
        const dir = mkdtempSync(join(tmpdir(), "runtrail-crash-"));
        cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
        const path = join(dir, "crash.db");
        return { args: ["sqlite", path], open: () => openSqliteStore({ path }) };
      }
      const admin = await pgAdmin();
      const schema = testSchema();
      cleanups.push(async () => {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      });
      return { args: ["postgres", schema], open: () => openPostgresStore({ connectionString: PG_URL, schema }) };
    }

    it("sync: SIGKILL mid-run keeps every acknowledged event, with no gap", async () => {
      const { args, open } = await target();
      const killed = await runAndKill([...args, "sync", PG_URL], 300);
      const store = await open();
      cleanups.unshift(() => store.close());
      const seqs = await storedSeqs(store);
      expect(killed.lastReported).toBeGreaterThanOrEqual(300);
      // Every acknowledged event is there; at most the ones in flight beyond it, and no gap.
      expect(seqs.length).toBeGreaterThanOrEqual(killed.lastReported);
      expect(seqs).toEqual(range(seqs.length));
    });

    it("batched: SIGKILL mid-run loses at most the documented bound, with no gap", async () => {
      const { args, open } = await target();
      const killed = await runAndKill([...args, "batched", PG_URL], 3_000);
      const store = await open();
      cleanups.unshift(() => store.close());
      const seqs = await storedSeqs(store);
      expect(seqs).toEqual(range(seqs.length));
      // Count bound: maxPending (200) + bufferSize (100) events not yet committed.
      expect(killed.lastReported - seqs.length).toBeLessThanOrEqual(300);
      // Time bound: everything emitted a flush interval (20 ms) plus a generous commit allowance
      // before the kill is stored.
      const settled = killed.emitted.filter((e) => e.at < killed.killedAt - 1_000);
      expect(seqs.length).toBeGreaterThanOrEqual(settled.at(-1)?.seq ?? 0);
    });

    if (factory.name === "postgres") {
      it("a connection killed with pg_terminate_backend during a run loses nothing", async () => {
        const admin = await pgAdmin();
        const schema = testSchema();
        const app = `runtrail-${schema}`;
        const store = await openPostgresStore({ connectionString: PG_URL, schema, applicationName: app });
        cleanups.push(async () => {
          await store.close();
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.end();
        });
        const failures: WriterFailure[] = [];
        const bus = createBus();
        const writer = createStoreWriter(bus, store, { batchSize: 20, flushIntervalMs: 2, retryDelayMs: 5, onError: (f) => failures.push(f) });
        const workflow = { name: "kill" };
        let killed = 0;
        for (let i = 0; i < 2_000; i++) {
          const pressure = bus.emit({ type: "step.completed", runId: "k", workflow, stepId: "s", durationMs: 1 });
          if (pressure !== undefined) await pressure;
          if (i % 400 === 200) {
            await new Promise((resolve) => setTimeout(resolve, 3));
            const { rowCount } = await admin.query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
              [app],
            );
            killed += rowCount ?? 0;
          }
          if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        await writer.close();
        expect(killed).toBeGreaterThan(0);
        expect(failures.length).toBeGreaterThan(0);
        const seqs: number[] = [];
        for await (const { event } of iterateRun(store, "default", "k", { pageSize: 5_000 })) seqs.push(event.seq);
        expect(seqs).toEqual(range(2_000));
        expect(await store.getRun("default", "k")).toMatchObject({ eventCount: 2_000, stepsCompleted: 2_000, lastSeq: 2_000 });
      });
    }
  });
}
