/**
 * The producer of bench/crash-bound.ts: one run emitted as fast as the writer takes it, with the
 * writer's default options, reporting on stdout what it was told: `emitted <seq>` every 500
 * events in `batched` mode (emit returned), `ack <seq>` after each committed emit in `sync` mode.
 *
 * argv: <sqlite|postgres> <path-or-schema> <batched|sync> <pg-url>
 */
import { createBus } from "../src/index.js";
import { createStoreWriter } from "../src/store/index.js";
import { openPostgresStore } from "../src/store/postgres/index.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";

const [kind, where, mode, url] = process.argv.slice(2);
const store = kind === "sqlite" ? await openSqliteStore({ path: where! }) : await openPostgresStore({ connectionString: url!, schema: where! });
const writer = createStoreWriter(createBus(), store, { durability: mode === "sync" ? "sync" : "batched" });
const workflow = { name: "crash-bound" };
const output = { pad: "x".repeat(150) };
process.stdout.write("ready\n");
for (let seq = 1; ; seq++) {
  const input = seq === 1 ? { type: "run.started" as const, runId: "fast", workflow } : { type: "step.completed" as const, runId: "fast", workflow, stepId: `s${seq % 10}`, durationMs: 0, output };
  const pressure = writer.bus.emit(input);
  if (pressure !== undefined) await pressure;
  if (mode === "sync") process.stdout.write(`ack ${seq}\n`);
  else if (seq % 500 === 0) {
    process.stdout.write(`emitted ${seq}\n`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
