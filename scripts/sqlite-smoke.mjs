// Runs the built SQLite store (dist/) as a user would: its write thread is a separate file that
// `dist` must contain and load. Only on this machine's Node: better-sqlite3 is compiled for it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBus } from "../dist/index.js";
// The package's `runtrail/sqlite` entry (package.json exports), which also carries the writer.
import { createStoreWriter, openSqliteStore } from "../dist/store/sqlite/index.js";

const dir = mkdtempSync(join(tmpdir(), "runtrail-smoke-"));
try {
  const store = await openSqliteStore({ path: join(dir, "smoke.db") });
  const writer = createStoreWriter(createBus(), store, { durability: "sync" });
  await writer.bus.emit({ type: "run.started", runId: "r", workflow: { name: "smoke" } });
  await writer.bus.emit({ type: "run.completed", runId: "r", workflow: { name: "smoke" }, durationMs: 1 });
  await writer.close();
  assert.equal((await store.getRun("default", "r"))?.status, "completed");
  assert.deepEqual((await store.readRun("default", "r")).items.map((item) => item.cursor), [1, 2]);
  await store.close();
  console.log(`sqlite store from dist ok on node ${process.version}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
