/**
 * Runs whose process died are closed, with real processes and real databases: a child that
 * executes runs under a lease is killed with SIGKILL mid-run; once its lease expires, the next
 * lease holder (a restart, or another live process on the same PostgreSQL store) ends each run
 * with a stored run.failed (RunAbandoned) at the seq after the last stored one, while the
 * survivor's own runs go on and end normally.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createRunLease, iterateRun, RUN_ABANDONED, type EventStore } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { PG_URL, STORES, pgAdmin, testSchema } from "./store-fixtures.js";

const CHILD = fileURLToPath(new URL("./lease-child.ts", import.meta.url));
const TTL_MS = 1_000;

interface Child {
  readonly proc: ChildProcess;
  /** Each run's last committed seq when it reported `running`. */
  readonly runs: Map<string, number>;
  readonly lines: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

const children = new Set<ChildProcess>();

function startChild(args: readonly string[]): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  children.add(proc);
  proc.once("exit", () => children.delete(proc));
  const runs = new Map<string, number>();
  const lines: string[] = [];
  let stderr = "";
  let buffer = "";
  const waiters = new Set<() => void>();
  proc.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      const [word, runId, seq] = line.split(" ");
      if (word === "running") runs.set(runId!, Number(seq));
    }
    for (const wake of waiters) wake();
  });
  return {
    proc,
    runs,
    lines,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timeout waiting for ${String(pattern)}; stdout: ${lines.join("\n")}; stderr: ${stderr}`)), timeoutMs);
        const check = (): void => {
          if (lines.some((line) => pattern.test(line))) done();
        };
        const onExit = (): void => done(new Error(`child exited before ${String(pattern)}: ${stderr}`));
        function done(error?: Error): void {
          clearTimeout(timer);
          waiters.delete(check);
          proc.off("exit", onExit);
          if (error === undefined) resolve();
          else reject(error);
        }
        waiters.add(check);
        proc.once("exit", onExit);
        check();
      });
    },
  };
}

function kill(child: Child): Promise<void> {
  return new Promise((resolve) => {
    child.proc.once("exit", () => resolve());
    child.proc.kill("SIGKILL");
  });
}

async function trail(store: EventStore, runId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const { event } of iterateRun(store, "acct", runId)) out.push(`${event.seq} ${event.type}`);
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const factory of STORES) {
  describe(`lease crash: ${factory.name}`, { timeout: 120_000 }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const child of children) child.kill("SIGKILL");
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    async function target(): Promise<{ args: string[]; open: () => Promise<EventStore> }> {
      if (factory.name === "sqlite") {
        const dir = mkdtempSync(join(tmpdir(), "runtrail-lease-"));
        cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
        const path = join(dir, "lease.db");
        return { args: ["sqlite", path, "-"], open: () => openSqliteStore({ path }) };
      }
      const admin = await pgAdmin();
      const schema = testSchema();
      cleanups.push(async () => {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      });
      return { args: ["postgres", schema, PG_URL], open: () => openPostgresStore({ connectionString: PG_URL, schema }) };
    }

    it("SIGKILL mid-run: after the lease expires, the next start ends each run with a stored RunAbandoned at the next seq", async () => {
      const { args, open } = await target();
      const child = startChild([...args, String(TTL_MS), "3", "dead"]);
      await child.waitFor(/^ready /);
      await kill(child);
      const store = await open();
      cleanups.unshift(() => store.close());
      // Killed, but its lease has not expired yet: the runs still count as executing.
      expect((await store.getRun("acct", "dead-0"))?.status).toBe("running");
      await sleep(TTL_MS + 200);
      const lease = await createRunLease(store, { ttlMs: 60_000 });
      cleanups.unshift(() => lease.close());
      for (const [runId, lastSeq] of child.runs) {
        const events = await trail(store, runId);
        expect(events.length).toBeGreaterThanOrEqual(lastSeq);
        expect(events.at(-1)).toBe(`${events.length} run.failed`);
        expect(events.map((line) => Number(line.split(" ")[0]))).toEqual(events.map((_, i) => i + 1));
        const run = await store.getRun("acct", runId);
        expect(run).toMatchObject({ status: "failed", error: { name: RUN_ABANDONED } });
        expect(run?.error?.message).toContain(`the last stored event is seq ${events.length - 1}`);
      }
      expect(child.runs.size).toBe(3);
    });

    if (factory.name === "postgres") {
      it("two processes on one store: one is killed, the other's periodic sweep ends its runs and its own go on", async () => {
        const { args, open } = await target();
        const survivor = startChild([...args, String(TTL_MS), "2", "alive"]);
        const victim = startChild([...args, String(TTL_MS), "2", "dead"]);
        await Promise.all([survivor.waitFor(/^ready /), victim.waitFor(/^ready /)]);
        await kill(victim);
        // Nobody restarts: the survivor's own renewals sweep the dead lease's runs.
        await survivor.waitFor(/^swept dead-1$/, 30_000);
        await survivor.waitFor(/^swept dead-0$/, 30_000);
        const store = await open();
        cleanups.unshift(() => store.close());
        for (const runId of ["dead-0", "dead-1"]) {
          expect(await store.getRun("acct", runId)).toMatchObject({ status: "failed", error: { name: RUN_ABANDONED } });
          expect((await trail(store, runId)).at(-1)).toMatch(/ run\.failed$/);
        }
        expect((await store.getRun("acct", "alive-0"))?.status).toBe("running");
        survivor.proc.stdin!.write("finish\n");
        await survivor.waitFor(/^finished$/);
        for (const runId of ["alive-0", "alive-1"]) {
          expect(await store.getRun("acct", runId)).toMatchObject({ status: "completed" });
        }
        expect(survivor.lines.filter((line) => line.startsWith("swept alive"))).toEqual([]);
      });
    }
  });
}
