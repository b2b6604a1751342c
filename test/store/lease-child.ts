/**
 * A process that executes runs for the lease crash tests: takes a run lease (ttl from argv),
 * starts `count` runs of a workflow whose step waits until the process is killed, stores their
 * events through a writer tied to the lease, and reports `running <runId> <lastSeq>` once each
 * run's first steps are committed, then `ready`. With `finish`, it instead ends its runs when
 * told `finish` on stdin, and reports `finished`.
 *
 * argv: <sqlite|postgres> <path-or-schema> <pg-url|-> <ttlMs> <count> <prefix>
 */
import { createInterface } from "node:readline";
import { createBus, workflow } from "../../src/index.js";
import { createRunLease, createStoreWriter } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

const [kind, where, url, ttl, count, prefix] = process.argv.slice(2);
const store = kind === "sqlite" ? await openSqliteStore({ path: where! }) : await openPostgresStore({ connectionString: url!, schema: where! });
const lease = await createRunLease(store, { ttlMs: Number(ttl), renewEveryMs: Math.floor(Number(ttl) / 4), onAbandoned: (run) => process.stdout.write(`swept ${run.runId}\n`) });
const bus = createBus();
const writer = createStoreWriter(bus, store, { lease, flushIntervalMs: 5 });
let release: () => void = () => undefined;
const released = new Promise<void>((resolve) => (release = resolve));
const wf = workflow("long")
  .step("prepare", () => "ok")
  .step("wait", () => released.then(() => "done"), { needs: ["prepare"] })
  .build();
const runs = Array.from({ length: Number(count) }, (_, i) => wf.start(undefined, { bus, runId: `${prefix}-${i}`, accountId: "acct" }));
// Let each run reach its waiting step; what was emitted by now is committed by the flush.
await new Promise((resolve) => setTimeout(resolve, 200));
const emitted = runs.map((run) => run.history().at(-1)?.seq ?? 0);
await writer.flush();
runs.forEach((run, i) => process.stdout.write(`running ${run.runId} ${emitted[i]}\n`));
process.stdout.write(`ready ${lease.ownerId}\n`);
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line !== "finish") return;
  release();
  void Promise.allSettled(runs.map((run) => run.result))
    .then(() => writer.close())
    .then(() => lease.close())
    .then(() => store.close())
    .then(() => process.stdout.write("finished\n"));
});
