/**
 * Resuming a suspended run from its stored trail (issue 17).
 *
 * - Resume cost: a chain of N steps, then a step that waits for a signal, then the next step. The
 *   run is stored up to its `run.suspended` (N = 1,000 and 10,000 completed steps; ~5 events per
 *   step). Timed: from the signal's arrival (as `serve` gets it: `resumeRun` reading the trail from
 *   the store, restoring, re-entering the wait, then `signal`) to the start of the step after the
 *   wait. The limit is reading that trail from the store once (`readTrail`, the pages resumeRun
 *   reads): resuming cannot cost less. Each sample resumes the same stored trail on a fresh bus
 *   whose events are not stored, so the trail stays suspended for the next sample.
 * - Memory per waiting run: 10,000 runs each suspended in `ctx.waitFor`, written to the store.
 *   Heap and RSS per run while the process holds them, then after it lets go of them (handles,
 *   bus and writer dropped: what is left of a waiting run once its process has moved on or
 *   exited), and the store's bytes per suspended run (its share of the database).
 *
 * SQLite always; PostgreSQL too unless `RUNTRAIL_BENCH_PG=0`. `RUNTRAIL_BENCH_RESUME_STEPS`
 * (default `1000,10000`) and `RUNTRAIL_BENCH_WAITING` (default 10,000) size the cases.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { createBus, type EventBus } from "../../src/index.js";
import { readTrail, resumeRun, workflow, type StepContext, type Workflow, type WorkflowBuilder } from "../../src/engine/index.js";
import { createStoreWriter, type EventStore } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { collectGarbage, median, type BenchRow } from "../harness.js";

const PG_URL = process.env.RUNTRAIL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const WITH_PG = process.env.RUNTRAIL_BENCH_PG !== "0";
const STEP_COUNTS = (process.env.RUNTRAIL_BENCH_RESUME_STEPS ?? "1000,10000").split(",").map(Number);
const WAITING = Number(process.env.RUNTRAIL_BENCH_WAITING ?? 10_000);
const SAMPLES = 7;

type ChainBuilder = WorkflowBuilder<number, Record<string, number>, number>;
type ChainContext = StepContext<number, Record<string, number>>;

/**
 * `steps` steps in a chain, then `wait` (waits for the signal "go"), then `next`, which calls
 * `onNext` as it starts: the moment the resume is timed to.
 */
function waitingChain(steps: number, onNext: () => void): Workflow<number, number> {
  let builder = workflow<number>(`resume-${steps}`, { version: "1" }) as unknown as ChainBuilder;
  for (let i = 0; i < steps; i++) {
    const prev = i === 0 ? undefined : `s${i - 1}`;
    builder = prev === undefined
      ? builder.step(`s${i}`, (ctx: ChainContext) => ctx.input + 1)
      : builder.step(`s${i}`, (ctx: ChainContext) => ctx.steps[prev]! + 1, { needs: [prev] });
  }
  return builder
    .step("wait", async (ctx: ChainContext) => (await ctx.waitFor<number>("go")) + ctx.steps[`s${steps - 1}`]!, { needs: [`s${steps - 1}`] })
    .step("next", (ctx: ChainContext) => {
      onNext();
      return ctx.steps.wait!;
    }, { needs: ["wait"] })
    .build();
}

/** A store to measure in, and how to dispose of it and how big it is. */
interface BenchStore {
  readonly name: string;
  readonly store: EventStore;
  /** Bytes the database takes (files, or the schema's relations). */
  bytes(): Promise<number>;
  dispose(): Promise<void>;
}

async function sqliteStore(): Promise<BenchStore> {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-bench-resume-"));
  const store = await openSqliteStore({ path: join(dir, "bench.db") });
  return {
    name: "SQLite",
    store,
    async bytes() {
      // The WAL folded into the database first, so its pages are not counted twice.
      const db = new Database(join(dir, "bench.db"));
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
      return readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
    },
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresStore(): Promise<BenchStore> {
  const schema = `rt_bench_resume_${Math.random().toString(36).slice(2, 10)}`;
  const store = await openPostgresStore({ connectionString: PG_URL, schema });
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  return {
    name: "PostgreSQL",
    store,
    async bytes() {
      await admin.query(`VACUUM ANALYZE`);
      const { rows } = await admin.query<{ bytes: string }>(
        `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [schema],
      );
      return Number(rows[0]!.bytes);
    },
    async dispose() {
      await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** Runs `wf` until it waits, its events written to `store`; returns the run id. */
async function storeSuspended(store: EventStore, wf: Workflow<number, number>): Promise<string> {
  const bus = createBus();
  const writer = createStoreWriter(bus, store);
  const suspended = new Promise<void>((resolve) => bus.onEvent(() => resolve(), { type: "run.suspended" }));
  const run = wf.start(0, { bus });
  await suspended;
  await writer.close();
  run.cancel("the bench keeps only the stored trail");
  await run.result.catch(() => undefined);
  return run.runId;
}

/** Milliseconds from the signal's arrival to the start of the step after the wait. */
async function resumeOnce(store: EventStore, runId: string, steps: number): Promise<number> {
  let started = 0n;
  const wf = waitingChain(steps, () => {
    started = process.hrtime.bigint();
  });
  const bus: EventBus = createBus();
  const begin = process.hrtime.bigint();
  const run = await resumeRun(store, runId, wf, { bus });
  await run.signal("go", 1);
  const output = await run.result;
  if (output !== steps + 1) throw new Error(`resumed run output ${String(output)}, expected ${steps + 1}`);
  if (started === 0n) throw new Error("the step after the wait never started");
  return Number(started - begin) / 1e6;
}

async function readOnce(store: EventStore, runId: string, events: number): Promise<number> {
  const begin = process.hrtime.bigint();
  const trail = await readTrail(store, "default", runId);
  const ms = Number(process.hrtime.bigint() - begin) / 1e6;
  if (trail.length !== events) throw new Error(`read ${trail.length} events, expected ${events}`);
  return ms;
}

async function resumeRows(open: () => Promise<BenchStore>): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const steps of STEP_COUNTS) {
    const opened = await open();
    try {
      const runId = await storeSuspended(opened.store, waitingChain(steps, () => undefined));
      const events = await opened.store.lastSeq("default", runId);
      // Warm-up: the JIT and the database's caches, for both.
      await readOnce(opened.store, runId, events);
      await resumeOnce(opened.store, runId, steps);
      const resume: number[] = [];
      const read: number[] = [];
      for (let s = 0; s < SAMPLES; s++) {
        read.push(await readOnce(opened.store, runId, events));
        resume.push(await resumeOnce(opened.store, runId, steps));
      }
      rows.push({
        case: `${opened.name}, ${steps.toLocaleString("en-US")} completed steps (${events.toLocaleString("en-US")} events)`,
        metric: "signal → next step starts",
        unit: "ms",
        runtrail: median(resume),
        peers: {},
        limit: { name: "read the trail once", value: median(read) },
      });
    } finally {
      await opened.dispose();
    }
  }
  return rows;
}

function memory(): { heap: number; rss: number } {
  collectGarbage();
  collectGarbage();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
}

/** Two steps, then a wait: each of the runs of the memory case. */
const approval = workflow<number>("approval", { version: "1" })
  .step("draft", (ctx) => ({ amount: ctx.input }))
  .step("ask", (ctx) => ctx.waitFor<{ approved: boolean }>("approval"), { needs: ["draft"] })
  .step("pay", (ctx) => ({ paid: ctx.steps.ask.approved, amount: ctx.steps.draft.amount }), { needs: ["ask"] })
  .build();

async function memoryRows(open: () => Promise<BenchStore>): Promise<BenchRow[]> {
  const opened = await open();
  try {
    const empty = await opened.bytes();
    const before = memory();
    let bus: EventBus | undefined = createBus();
    let writer: ReturnType<typeof createStoreWriter> | undefined = createStoreWriter(bus, opened.store);
    let suspended = 0;
    const all = new Promise<void>((resolve) => bus!.onEvent(() => void (++suspended === WAITING && resolve()), { type: "run.suspended" }));
    let handles: ReturnType<typeof approval.start>[] | undefined = [];
    for (let i = 0; i < WAITING; i++) {
      handles.push(approval.start(i, { bus }));
      // Let the runs reach their waits in batches, as they would arrive.
      if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    }
    await all;
    await writer.close();
    const held = memory();
    const firstId = handles[0]!.runId;
    // The process lets go of them: no handle, no bus, no writer. What a waiting run still holds
    // in this process is what the collector cannot take back now.
    handles = undefined;
    bus = undefined;
    writer = undefined;
    const released = memory();
    const bytes = (await opened.bytes()) - empty;
    // And each is still a whole run: any one resumes from its row and trail.
    const resumed = await resumeRun(opened.store, firstId, approval, { bus: createBus() });
    await resumed.signal("approval", { approved: true });
    const output = (await resumed.result) as { paid: boolean };
    if (!output.paid) throw new Error("a released run did not resume");
    const n = WAITING.toLocaleString("en-US");
    const per = (value: number): number => value / WAITING;
    return [
      { case: `${opened.name}, ${n} runs waiting, held in process`, metric: "heap per waiting run", unit: "bytes", runtrail: per(held.heap - before.heap), peers: {} },
      { case: `${opened.name}, ${n} runs waiting, held in process`, metric: "RSS per waiting run", unit: "bytes", runtrail: per(held.rss - before.rss), peers: {} },
      { case: `${opened.name}, ${n} runs waiting, released (rows in the store only)`, metric: "heap per waiting run", unit: "bytes", runtrail: per(released.heap - before.heap), peers: {} },
      { case: `${opened.name}, ${n} runs waiting, released (rows in the store only)`, metric: "RSS per waiting run", unit: "bytes", runtrail: per(released.rss - before.rss), peers: {}, note: "RSS is not returned to the OS at once; heap is the process's own share" },
      { case: `${opened.name}, ${n} runs waiting`, metric: "store bytes per waiting run", unit: "bytes", runtrail: per(bytes), peers: {}, note: "its events, run row and step rows, with indexes" },
    ];
  } finally {
    await opened.dispose();
  }
}

export default async function resumeSuite(): Promise<BenchRow[]> {
  const stores = WITH_PG ? [sqliteStore, postgresStore] : [sqliteStore];
  const rows: BenchRow[] = [];
  for (const open of stores) rows.push(...(await resumeRows(open)));
  for (const open of stores) rows.push(...(await memoryRows(open)));
  return rows;
}
