/**
 * The process the crash recovery tests kill: takes a run lease (ttl from argv), starts one run of
 * `orders` or `payments` (recover-workflows.ts) through a writer tied to it, and once the run's
 * blocking step is running and everything before it is committed reports `blocked <runId>`. It
 * then waits to be killed.
 *
 * argv: <sqlite|postgres> <path-or-schema> <pg-url|-> <ttlMs> <orders|payments> <runId> <calls-file>
 */
import { createBus } from "../../src/index.js";
import { createRunLease, createStoreWriter } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { BLOCK_ENV, countingWorkflows } from "./recover-workflows.js";

const [kind, where, url, ttl, which, runId, calls] = process.argv.slice(2);
process.env[BLOCK_ENV] = "1";
const store = kind === "sqlite" ? await openSqliteStore({ path: where! }) : await openPostgresStore({ connectionString: url!, schema: where! });
const lease = await createRunLease(store, { ttlMs: Number(ttl), renewEveryMs: Math.floor(Number(ttl) / 4) });
const bus = createBus();
const writer = createStoreWriter(bus, store, { lease, flushIntervalMs: 5 });
let blocked: (step: string) => void = () => undefined;
const reached = new Promise<string>((resolve) => (blocked = resolve));
const flows = countingWorkflows(calls!, (step) => blocked(step));
const wf = which === "payments" ? flows.payments : flows.orders;
wf.start({ amount: 21 }, { bus, runId: runId!, accountId: "acct" });
const step = await reached;
// Its step.started is emitted before the handler runs: once flushed, the trail shows it running.
await writer.flush();
process.stdout.write(`blocked ${runId} ${step}\n`);
// Nothing else holds the loop open (the lease timer is unref'd): wait here for the SIGKILL.
setInterval(() => undefined, 60_000);
