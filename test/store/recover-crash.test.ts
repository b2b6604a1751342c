/**
 * Crash recovery with real processes and real databases: a child executing a run of a
 * `recover: "resume"` workflow under a lease is killed with SIGKILL during a step; once its lease
 * expires, this process (another lease holder with the workflow registered) resumes the run from
 * its trail and completes it. Steps completed before the kill ran once (each call appends a line
 * to a file), the step running at the kill ran again, and the trail is gap-free from seq 1 with
 * exactly one terminal event. A step marked `idempotent: false` running at the kill is not run
 * again: the run is ended with run.failed naming it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createBus, recoverWorkflows, type RunHandle, type RuntrailEvent } from "../../src/index.js";
import { createRunLease, createStoreWriter, iterateRun, RUN_ABANDONED, type AbandonedRun, type EventStore } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { countingWorkflows } from "./recover-workflows.js";
import { PG_URL, STORES, pgAdmin, testSchema } from "./store-fixtures.js";

const CHILD = fileURLToPath(new URL("./recover-child.ts", import.meta.url));
const TTL_MS = 1_000;
const children = new Set<ChildProcess>();

/** Starts the child and resolves once it reports its run's blocking step running (and committed). */
function startBlocked(args: readonly string[]): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(proc);
  proc.once("exit", () => children.delete(proc));
  let stdout = "";
  let stderr = "";
  proc.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child not blocked in time; stdout: ${stdout}; stderr: ${stderr}`)), 60_000);
    proc.once("exit", (code) => reject(new Error(`child exited (${code}) before blocking: ${stderr}`)));
    proc.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/^blocked /m.test(stdout)) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
  });
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.once("exit", () => resolve());
    proc.kill("SIGKILL");
  });
}

async function trailOf(store: EventStore, runId: string): Promise<RuntrailEvent[]> {
  const out: RuntrailEvent[] = [];
  for await (const { event } of iterateRun(store, "acct", runId)) out.push(event);
  return out;
}

const TERMINAL = new Set(["run.completed", "run.failed", "run.cancelled"]);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const factory of STORES) {
  describe(`crash recovery: ${factory.name}`, { timeout: 120_000 }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const child of children) child.kill("SIGKILL");
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    async function target(): Promise<{ args: string[]; open: () => Promise<EventStore>; calls: string }> {
      const dir = mkdtempSync(join(tmpdir(), "runtrail-recover-"));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      const calls = join(dir, "calls.txt");
      if (factory.name === "sqlite") {
        const path = join(dir, "recover.db");
        return { args: ["sqlite", path, "-"], open: () => openSqliteStore({ path }), calls };
      }
      const admin = await pgAdmin();
      const schema = testSchema();
      cleanups.push(async () => {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      });
      return { args: ["postgres", schema, PG_URL], open: () => openPostgresStore({ connectionString: PG_URL, schema }), calls };
    }

    /** This process as the recovering lease holder: the writer on the bus before any run is resumed. */
    async function recoverer(store: EventStore, calls: string) {
      const bus = createBus();
      const { orders, payments } = countingWorkflows(calls);
      const resumed: RunHandle<unknown>[] = [];
      const abandoned: AbandonedRun[] = [];
      const lease = await createRunLease(store, {
        ttlMs: 60_000,
        recover: recoverWorkflows([orders, payments], { bus, onResumed: (handle) => resumed.push(handle) }),
        onAbandoned: (run) => abandoned.push(run),
      });
      const writer = createStoreWriter(bus, store, { lease, flushIntervalMs: 5 });
      cleanups.unshift(async () => {
        await writer.close();
        await lease.close();
      });
      return { lease, writer, resumed, abandoned };
    }

    const lines = (calls: string): string[] => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : []);

    it("SIGKILL during a step: another process resumes the run from its trail and completes it; finished steps ran once", async () => {
      const { args, open, calls } = await target();
      const child = await startBlocked([...args, String(TTL_MS), "orders", "order-1", calls]);
      await kill(child);
      expect(lines(calls)).toEqual(["load", "price", "ship"]);
      const store = await open();
      cleanups.push(() => store.close());
      await sleep(TTL_MS + 200);

      const { lease, writer, resumed, abandoned } = await recoverer(store, calls);
      // The sweep createRunLease runs leaves a run it would resume (no writer was on the bus yet).
      expect((await store.getRun("acct", "order-1"))?.status).toBe("running");
      expect(resumed).toEqual([]);
      expect(await lease.sweep()).toEqual([]);
      expect(resumed.map((handle) => handle.runId)).toEqual(["order-1"]);
      await expect(resumed[0]!.result).resolves.toEqual({ done: "shipped 42" });
      await writer.flush();
      expect(abandoned).toEqual([]);

      // Completed steps ran once; the step running at the kill ran again (at-least-once).
      expect(lines(calls)).toEqual(["load", "price", "ship", "ship", "notify"]);
      const events = await trailOf(store, "order-1");
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["run.completed"]);
      expect(events.at(-1)).toMatchObject({ type: "run.completed", output: { done: "shipped 42" } });
      expect(events.filter((e) => e.type === "run.started")).toHaveLength(1);
      const note = events.filter((e) => e.type === "run.resumed");
      expect(note).toHaveLength(1);
      expect(note[0]).toMatchObject({ by: "recovery" });
      expect((note[0] as { reason?: string }).reason).toMatch(/^recovered after lease expiry of .* pid \d+ \(lease [\w-]+\), expired .*, from its trail at seq \d+; running again: "ship" attempt 1$/);
      // Every step's completion is stored once: the restored ones were not written again.
      const completed = events.filter((e) => e.type === "step.completed").map((e) => e.stepId);
      expect(completed).toEqual(["load", "price", "ship", "notify"]);
      expect(await store.getRun("acct", "order-1")).toMatchObject({ status: "completed" });
    });

    it("an idempotency-unsafe step running at the kill is not run again: run.failed names it", async () => {
      const { args, open, calls } = await target();
      const child = await startBlocked([...args, String(TTL_MS), "payments", "pay-1", calls]);
      await kill(child);
      const store = await open();
      cleanups.push(() => store.close());
      await sleep(TTL_MS + 200);
      const { lease, resumed, abandoned } = await recoverer(store, calls);
      expect(await lease.sweep()).toEqual([expect.objectContaining({ runId: "pay-1" })]);
      expect(resumed).toEqual([]);
      expect(abandoned.map((run) => run.runId)).toEqual(["pay-1"]);
      expect(lines(calls)).toEqual(["load", "charge"]);
      const events = await trailOf(store, "pay-1");
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => TERMINAL.has(e.type))).toHaveLength(1);
      const failed = events.at(-1);
      expect(failed).toMatchObject({ type: "run.failed", error: { name: RUN_ABANDONED, retryable: false } });
      expect((failed as { error: { message: string } }).error.message).toMatch(
        /not resumed: cannot resume run pay-1: step "charge" attempt 1 was running when its process died and is marked idempotent: false/,
      );
      expect(await store.getRun("acct", "pay-1")).toMatchObject({ status: "failed", error: { name: RUN_ABANDONED } });
    });
  });
}
