/**
 * A producer process for the crash tests: emits one long run through a store writer and reports
 * on stdout what it may rely on (`ack <seq>` once `sync` emit resolved; `emitted <seq> <ts>` in
 * `batched` mode), until the parent kills it with SIGKILL.
 *
 * argv: <sqlite|postgres> <path-or-schema> <sync|batched> <pg-url>
 */
import { createBus } from "../../src/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

const [kind, where, mode, url] = process.argv.slice(2);
const store =
  kind === "sqlite"
    ? await openSqliteStore({ path: where! })
    : await openPostgresStore({ connectionString: url!, schema: where! });
const bus = createBus();
const writer = createStoreWriter(bus, store, {
  durability: mode === "sync" ? "sync" : "batched",
  batchSize: 50,
  flushIntervalMs: 20,
  maxPending: 200,
  bufferSize: 100,
});
const workflow = { name: "crash" };
process.stdout.write("ready\n");
for (let i = 0; ; i++) {
  const input = i === 0
    ? { type: "run.started" as const, runId: "crash", workflow }
    : { type: "step.completed" as const, runId: "crash", workflow, stepId: `s${i % 10}`, durationMs: 1, output: { i, pad: "x".repeat(100) } };
  const pressure = writer.bus.emit(input);
  if (pressure !== undefined) await pressure;
  if (mode === "sync") process.stdout.write(`ack ${i + 1}\n`);
  else if (i % 10 === 0) {
    process.stdout.write(`emitted ${i + 1} ${Date.now()}\n`);
    // Let timers and I/O run, as a real workflow would between steps.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
