/**
 * The SQLite store's write thread: what a caller sees of it. Errors cross the thread with their
 * SQLite code, the retry check of an uncertain batch runs there, WAL checkpoints run on a thread of
 * their own, and an idle thread never keeps a process alive. (The conformance suite runs every store behaviour on both write paths.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBus, type RuntrailEvent } from "runtrail";
import { prepareEvent, projectBatch, type AppendBatch, type EventStore } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

function batchOf(runId: string, count: number): AppendBatch {
  const bus = createBus();
  const events: RuntrailEvent[] = [];
  bus.onEvent((event) => events.push(event));
  for (let i = 0; i < count; i++) void bus.emit({ type: "step.completed", runId, workflow: { name: "w" }, stepId: `s${i}`, durationMs: 1 });
  const prepared = events.map((event) => prepareEvent(event));
  return { events: prepared, ...projectBatch(prepared) };
}

describe("sqlite write thread", () => {
  let dir: string;
  let store: EventStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "runtrail-thread-"));
    store = await openSqliteStore({ path: join(dir, "t.db") });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("hands back the cursors, passes a failed write's SQLite code across, and keeps working", async () => {
    const batch = batchOf("r", 3);
    const first = await store.append(batch);
    expect(first.cursors).toEqual([1, 2, 3]);
    // The same events again break the (run_id, seq) unique key: the whole batch is refused.
    await expect(store.append(batch)).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_UNIQUE", message: expect.stringContaining("UNIQUE") as unknown });
    // A retry after an uncertain commit finds the batch stored and writes nothing.
    expect(await store.append({ ...batch, maybeStored: true })).toEqual({});
    expect((await store.readRun("default", "r")).items.map((item) => item.cursor)).toEqual([1, 2, 3]);
    expect((await store.getRun("default", "r"))?.eventCount).toBe(3);
    expect((await store.append(batchOf("r2", 2))).cursors).toEqual([4, 5]);
  });

  it("checkpoints the WAL on a thread of its own, soon after commits and while the store stays open", async () => {
    const file = join(dir, "t.db");
    const before = statSync(file).size;
    // Far fewer pages than SQLite's automatic checkpoint waits for (1,000): left to it, the
    // events would stay in the WAL, and the database file would not grow, until the store closed.
    for (let i = 0; i < 4; i++) await store.append(batchOf(`ck${i}`, 500));
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    const deadline = Date.now() + 5_000;
    while (statSync(file).size === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(statSync(file).size).toBeGreaterThan(before);
    // The store reads what was checkpointed, and keeps writing.
    expect((await store.getRun("default", "ck3"))?.eventCount).toBe(500);
    expect((await store.append(batchOf("after", 1))).cursors).toEqual([2_001]);
  });

  it("refuses writes once the store is closed, with a message that says so", async () => {
    await store.close();
    await expect(store.append(batchOf("late", 1))).rejects.toThrow("the SQLite store is closed");
    store = await openSqliteStore({ path: join(dir, "t.db") });
  });

  /** Runs unclosed-child.ts to its own exit (or fails after 10 s). */
  const runChild = (args: string[]): Promise<{ code: number | null; out: string }> =>
    new Promise((resolve, reject) => {
      const child = fileURLToPath(new URL("./unclosed-child.ts", import.meta.url));
      const proc = spawn(process.execPath, ["--import", "tsx", child, ...args], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      proc.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error("the child did not exit within 10 s: the write thread kept it alive"));
      }, 10_000);
      proc.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });

  it("does not keep a process alive once its writes are done, even if the store is never closed", async () => {
    const path = join(dir, "unclosed.db");
    expect(await runChild([path])).toEqual({ code: 0, out: "written\n" });
    const reopened = await openSqliteStore({ path });
    expect((await reopened.getRun("default", "unclosed"))?.status).toBe("running");
    await reopened.close();
  });

  it("keeps the process alive while close() waits for the thread (no unsettled await, exit 0)", async () => {
    expect(await runChild([join(dir, "closed.db"), "close"])).toEqual({ code: 0, out: "written\nclosed\n" });
  });
});
