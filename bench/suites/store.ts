/**
 * The event store: events/s through the store writer (bus → writer → batches → database) against
 * the raw driver's batched insert limit on the same schema (same table, indexes, column types),
 * and memory while reading a 100,000-event run page by page.
 *
 * Two event mixes, both 200 interleaved runs with ~200 B payloads:
 * - workflow trails, as the engine writes them (per step: started, a tool call and its result,
 *   completed, progress): a run's row and a step's row change about once per batch each;
 * - the projections' worst case, every event a step completion: a steps row changes per event.
 *
 * - SQLite limit (as the issue defines it): a prepared INSERT in transactions of 1,000 rows,
 *   bodies serialised beforehand; beside it, transactions of 5,000 (as many commits as the writer).
 * - PostgreSQL limit: COPY FROM STDIN (pg-copy-streams, as the store uses), rows serialised
 *   beforehand, a COPY (and commit) per 5,000 rows, as the writer commits by default; COPYs of
 *   1,000 and 10,000 rows are shown beside it.
 * The writer runs with its defaults, and with batches of 1,000 beside it.
 *
 * Catch-up, on each store: an account's stream read from cursor 0 in pages of 500 (what a resumed
 * account stream does) against the same events read run by run (`readRun`), the account's events
 * being the newest twentieth of the table, after another account's. Target: the account stream at
 * least 50% of the run streams' rate. `RUNTRAIL_BENCH_CATCHUP` sets the account's event count
 * (default 100,000; a small one checks the rows run), `RUNTRAIL_BENCH_ONLY=catchup` runs only these.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { createBus, type EventInput } from "../../src/index.js";
import { createStoreWriter, iterateRun, prepareEvent, type EventStore } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { COPY_EVENTS_SQL, copyRow } from "../../src/store/postgres/postgres-queries.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { INSERT_EVENT_SQL } from "../../src/store/sqlite/sqlite-queries.js";
import { collectGarbage, median, type BenchRow } from "../harness.js";

const ROWS = 200_000;
const RUNS = 200;
const PG_URL = process.env.RUNTRAIL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const payload = { text: "lorem ipsum ".repeat(15).slice(0, 170), n: 42 };
const workflow = { name: "bench" };

/** Which events the ROWS are; runs are always interleaved round-robin, as concurrent runs are. */
interface Mix {
  readonly name: string;
  readonly input: (i: number) => EventInput;
}

/**
 * A run's trail as the engine writes it: run.started, then per step step.started, tool.called,
 * tool.completed, step.completed and progress.updated, then run.completed; each payload ~200 B.
 */
const TRAIL: Mix = {
  name: "workflow trails (per step: started, tool call and result, completed, progress)",
  input(i) {
    const runId = `run-${i % RUNS}`;
    const k = Math.floor(i / RUNS);
    const last = ROWS / RUNS - 1;
    if (k === 0) return { type: "run.started", runId, workflow, input: payload };
    if (k === last) return { type: "run.completed", runId, workflow, durationMs: 1_000, output: payload };
    const step = Math.floor((k - 1) / 5);
    const stepId = `s${step}`;
    const tool = { name: "fetch", callId: `c${step}` };
    switch ((k - 1) % 5) {
      case 0:
        return { type: "step.started", runId, workflow, stepId, input: payload };
      case 1:
        return { type: "tool.called", runId, workflow, stepId, tool, arguments: payload };
      case 2:
        return { type: "tool.completed", runId, workflow, stepId, tool, result: payload, durationMs: 2 };
      case 3:
        return { type: "step.completed", runId, workflow, stepId, durationMs: 3, output: payload };
      default:
        return { type: "progress.updated", runId, workflow, progress: { completed: step + 1, failed: 0, skipped: 0, total: 200, percent: (step + 1) / 2 } };
    }
  },
};

/** The projections' worst case: every event completes a step (7 per run, each completed over and over). */
const STEP_COMPLETIONS: Mix = {
  name: "every event a step.completed (stress: a steps row per event)",
  input: (i) => ({ type: "step.completed", runId: `run-${i % RUNS}`, workflow, stepId: `s${i % 7}`, durationMs: 3, output: payload }),
};

const MIXES = [TRAIL, STEP_COMPLETIONS];

/** The rows both raw limits insert: the same events, stamped and serialised as the writer would. */
function stampedRows(mix: Mix): ReturnType<typeof prepareEvent>[] {
  const bus = createBus();
  const rows: ReturnType<typeof prepareEvent>[] = [];
  bus.onEvent((event) => rows.push(prepareEvent(event)));
  for (let i = 0; i < ROWS; i++) void bus.emit(mix.input(i));
  return rows;
}

/** The writer's default batch size (src/store/writer/store-writer.ts): the like-for-like raw peers commit as often. */
const WRITER_BATCH = 5_000;

/** Emits ROWS events through a writer into `store` (its default batch size unless given); events/s from first emit to close. */
async function throughWriter(store: EventStore, mix: Mix, batchSize?: number): Promise<number> {
  const bus = createBus();
  const writer = createStoreWriter(bus, store, { flushIntervalMs: 50, ...(batchSize === undefined ? {} : { batchSize }) });
  const start = process.hrtime.bigint();
  for (let i = 0; i < ROWS; i++) {
    const pressure = bus.emit(mix.input(i));
    if (pressure !== undefined) await pressure;
  }
  await writer.close();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (writer.stats().written !== ROWS) throw new Error(`writer wrote ${writer.stats().written} of ${ROWS}`);
  return ROWS / seconds;
}

function tempDb(): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-bench-"));
  return { path: join(dir, "bench.db"), done: () => rmSync(dir, { recursive: true, force: true }) };
}

async function sqliteRawRate(rows: ReturnType<typeof prepareEvent>[], txSize: number): Promise<number> {
  const raw = tempDb();
  await (await openSqliteStore({ path: raw.path, writeThread: false })).close(); // same schema and pragmas as the store
  const db = new Database(raw.path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  const insert = db.prepare(INSERT_EVENT_SQL);
  const insertMany = db.transaction((chunk: typeof rows) => {
    for (const { event, body, truncated } of chunk) {
      insert.run(event.runId, event.seq, event.accountId, event.type, event.stepId ?? null, event.ts, body, truncated);
    }
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += txSize) insertMany(rows.slice(i, i + txSize));
  const rate = rows.length / (Number(process.hrtime.bigint() - start) / 1e9);
  db.close();
  raw.done();
  return rate;
}

async function sqliteWriterRate(mix: Mix, batchSize?: number): Promise<number> {
  const mine = tempDb();
  const store = await openSqliteStore({ path: mine.path });
  const rate = await throughWriter(store, mix, batchSize);
  await store.close();
  mine.done();
  return rate;
}

/** Raw and writer alternate, SAMPLES times each, so drift on a shared machine (a database checkpoint, autovacuum) hits both alike. */
const SAMPLES = 5;

async function sqliteRows(mix: Mix, rows: ReturnType<typeof prepareEvent>[]): Promise<BenchRow> {
  const raws: number[] = [];
  const rawsLikeWriter: number[] = [];
  const writers: number[] = [];
  const writersAt1000: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    raws.push(await sqliteRawRate(rows, 1_000));
    rawsLikeWriter.push(await sqliteRawRate(rows, WRITER_BATCH));
    writers.push(await sqliteWriterRate(mix));
    writersAt1000.push(await sqliteWriterRate(mix, 1_000));
  }
  return {
    case: `sqlite, ${ROWS.toLocaleString("en-US")} events of ~200 B payload, ${RUNS} interleaved runs: ${mix.name}`,
    metric: "write throughput",
    unit: "events/s",
    runtrail: median(writers),
    peers: {
      [`raw prepared INSERT, tx of ${WRITER_BATCH.toLocaleString("en-US")} (as many commits as the writer)`]: median(rawsLikeWriter),
      "writer with batchSize 1,000": median(writersAt1000),
    },
    limit: { name: "raw prepared INSERT, tx of 1,000", value: median(raws) },
    higherIsBetter: true,
    note:
      `median of ${SAMPLES}, alternating; target ≥ 75% of the limit. Limit: events table only (same table, indexes, text body), ` +
      `bodies serialised before the clock. Writer (defaults: batches of up to ${WRITER_BATCH.toLocaleString("en-US")}, SQLite write thread): ` +
      `bus, redaction, size check, serialisation, events plus the runs and steps upserts, a transaction per batch`,
  };
}

async function postgresRows(mix: Mix, rows: ReturnType<typeof prepareEvent>[]): Promise<BenchRow> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const rawSchema = `rt_bench_raw_${process.pid}`;
  const mineSchema = `rt_bench_writer_${process.pid}`;
  try {
    await (await openPostgresStore({ connectionString: PG_URL, schema: rawSchema })).close();
    const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${rawSchema}` });
    await client.connect();
    // Serialised before the clock starts, as the SQLite limit's rows are: the store's own COPY lines.
    const lines = rows.map(copyRow);
    /** One COPY (its own transaction) per `size` rows. */
    const copiesOf = (size: number): Buffer[] => {
      const copies: Buffer[] = [];
      for (let i = 0; i < lines.length; i += size) copies.push(Buffer.from(lines.slice(i, i + size).join("")));
      return copies;
    };
    const copyRate = async (copies: Buffer[]): Promise<number> => {
      await client.query("TRUNCATE events");
      const start = process.hrtime.bigint();
      for (const copy of copies) {
        const stream = client.query(copyFrom(COPY_EVENTS_SQL));
        await new Promise<void>((resolve, reject) => {
          stream.on("error", reject);
          stream.on("finish", resolve);
          stream.end(copy);
        });
      }
      const rate = rows.length / (Number(process.hrtime.bigint() - start) / 1e9);
      const { rows: count } = await client.query<{ n: string }>("SELECT COUNT(*) AS n FROM events");
      if (Number(count[0]?.n) !== rows.length) throw new Error(`COPY stored ${count[0]?.n} rows`);
      return rate;
    };
    // The limit commits as often as the writer (a COPY per batch of its default size); COPYs of
    // 1,000 and 10,000 rows are shown beside it, and the writer with batches of 1,000.
    const copySizes = [WRITER_BATCH, 1_000, 10_000] as const;
    const copies = copySizes.map(copiesOf);
    const raws: number[][] = copySizes.map(() => []);
    const writers: number[] = [];
    const writersAt1000: number[] = [];
    const writerRate = async (batchSize?: number): Promise<number> => {
      await admin.query(`DROP SCHEMA IF EXISTS ${mineSchema} CASCADE`);
      const store = await openPostgresStore({ connectionString: PG_URL, schema: mineSchema });
      const rate = await throughWriter(store, mix, batchSize);
      await store.close();
      return rate;
    };
    for (let s = 0; s < SAMPLES; s++) {
      for (let c = 0; c < copies.length; c++) raws[c]!.push(await copyRate(copies[c]!));
      writers.push(await writerRate());
      writersAt1000.push(await writerRate(1_000));
    }
    await client.end();
    const [rawRate, raw1000, raw10000] = raws.map(median) as [number, number, number];
    const rate = median(writers);
    return {
      case: `postgres, ${ROWS.toLocaleString("en-US")} events of ~200 B payload, ${RUNS} interleaved runs, jsonb body: ${mix.name}`,
      metric: "write throughput",
      unit: "events/s",
      runtrail: rate,
      peers: {
        "raw COPY, 1,000 rows per COPY": raw1000,
        "raw COPY, 10,000 rows per COPY": raw10000,
        "writer with batchSize 1,000": median(writersAt1000),
      },
      limit: { name: `raw COPY FROM STDIN, ${WRITER_BATCH.toLocaleString("en-US")} rows per COPY (as many commits as the writer)`, value: rawRate },
      higherIsBetter: true,
      note:
        `median of ${SAMPLES}, alternating; target ≥ 60% of the limit. Limit: events table only (same table, indexes, jsonb body), ` +
        `bodies serialised before the clock, a commit per COPY. Writer (defaults: batches of up to ${WRITER_BATCH.toLocaleString("en-US")}): ` +
        `bus, redaction, size check, serialisation, events (one jsonb array parameter per batch) plus the runs and steps upserts, ` +
        `one statement and a commit per batch`,
    };
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${rawSchema} CASCADE`);
    await admin.query(`DROP SCHEMA IF EXISTS ${mineSchema} CASCADE`);
    await admin.end();
  }
}

const heapMb = (): number => {
  collectGarbage();
  return process.memoryUsage().heapUsed / 1_048_576;
};

/**
 * Reads a 100,000-event run page by page, sampling the heap after a full GC every 10,000 events
 * (flat: the growth does not rise with the events read), against loading the run whole.
 */
async function pagedRead(): Promise<BenchRow> {
  const db = tempDb();
  const store = await openSqliteStore({ path: db.path });
  const bus = createBus();
  const writer = createStoreWriter(bus, store, { batchSize: 5_000 });
  for (let i = 0; i < 100_000; i++) {
    const pressure = bus.emit({ type: "step.completed", runId: "big", workflow, stepId: `s${i % 7}`, durationMs: 1, output: payload });
    if (pressure !== undefined) await pressure;
  }
  await writer.close();

  const base = heapMb();
  const samples: number[] = [];
  let read = 0;
  for await (const _ of iterateRun(store, "default", "big", { pageSize: 1_000 })) {
    if (++read % 10_000 === 0) samples.push(heapMb() - base);
  }
  const all: unknown[] = [];
  const before = heapMb();
  for await (const item of iterateRun(store, "default", "big", { pageSize: 10_000 })) all.push(item);
  const whole = heapMb() - before;
  if (read !== 100_000 || all.length !== 100_000) throw new Error(`read ${read} and ${all.length} events`);
  await store.close();
  db.done();
  const mb = (value: number): string => value.toFixed(2);
  return {
    case: "sqlite, reading a 100,000-event run",
    metric: "peak heap growth",
    unit: "MB",
    runtrail: Math.max(...samples, 0.01),
    peers: { "whole run in memory": whole },
    note: `pages of 1,000; heap after GC every 10,000 events, MB over the start: ${samples.map(mb).join(", ")}`,
  };
}

const CATCHUP = Number(process.env.RUNTRAIL_BENCH_CATCHUP ?? 100_000);
const CATCHUP_RUNS = 20;

/** Writes another account's 19 × CATCHUP events, then the account's CATCHUP in CATCHUP_RUNS interleaved runs. */
async function fillCatchUp(store: EventStore): Promise<void> {
  const bus = createBus();
  const writer = createStoreWriter(bus, store);
  const emit = async (input: EventInput): Promise<void> => {
    const pressure = bus.emit(input);
    if (pressure !== undefined) await pressure;
  };
  for (let i = 0; i < CATCHUP * 19; i++) await emit({ type: "step.completed", runId: `other-${i % 200}`, accountId: "other", workflow, stepId: "s", durationMs: 1, output: payload });
  for (let i = 0; i < CATCHUP; i++) await emit({ type: "step.completed", runId: `acme-${i % CATCHUP_RUNS}`, accountId: "acme", workflow, stepId: "s", durationMs: 1, output: payload });
  await writer.close();
}

/** Events/s reading the account's events run by run, and as one account stream by cursor. */
async function catchUpRates(store: EventStore): Promise<{ run: number; account: number }> {
  const runs: number[] = [];
  const accounts: number[] = [];
  for (let s = 0; s < 3; s++) {
    let start = process.hrtime.bigint();
    let read = 0;
    for (let r = 0; r < CATCHUP_RUNS; r++) {
      for (let after = 0; ; ) {
        const page = await store.readRun("acme", `acme-${r}`, { after, limit: 500 });
        read += page.items.length;
        if (page.next === undefined) break;
        after = page.next;
      }
    }
    if (read !== CATCHUP) throw new Error(`run streams read ${read} of ${CATCHUP}`);
    runs.push(read / (Number(process.hrtime.bigint() - start) / 1e9));
    start = process.hrtime.bigint();
    read = 0;
    for (let afterCursor = 0; ; ) {
      const page = await store.findEvents("acme", { afterCursor, limit: 500 });
      read += page.items.length;
      if (page.next === undefined) break;
      afterCursor = page.next;
    }
    if (read !== CATCHUP) throw new Error(`the account stream read ${read} of ${CATCHUP}`);
    accounts.push(read / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return { run: median(runs), account: median(accounts) };
}

async function catchUp(): Promise<BenchRow[]> {
  const row = (name: string, rates: { run: number; account: number }): BenchRow => ({
    case: `${name}, account-stream catch-up (${CATCHUP.toLocaleString("en")} events, the newest twentieth of the table)`,
    metric: "events/s",
    unit: "events/s",
    runtrail: rates.account,
    peers: { "run streams, same events": rates.run },
    higherIsBetter: true,
    note: `pages of 500 by cursor vs readRun pages of 500 over ${CATCHUP_RUNS} runs; median of 3; account stream at ${Math.round((rates.account / rates.run) * 100)}% of the run streams (target ≥ 50%)`,
  });
  const db = tempDb();
  const sqlite = await openSqliteStore({ path: db.path });
  await fillCatchUp(sqlite);
  const result = [row("sqlite", await catchUpRates(sqlite))];
  await sqlite.close();
  db.done();
  const schema = `rt_bench_catchup_${process.pid}`;
  const postgres = await openPostgresStore({ connectionString: PG_URL, schema });
  try {
    await fillCatchUp(postgres);
    result.push(row("postgres", await catchUpRates(postgres)));
  } finally {
    await postgres.close();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
  return result;
}

export default async function (): Promise<BenchRow[]> {
  if (process.env.RUNTRAIL_BENCH_ONLY === "catchup") return catchUp();
  const result: BenchRow[] = [...(await catchUp())];
  for (const mix of MIXES) {
    const rows = stampedRows(mix);
    result.push(await sqliteRows(mix, rows));
    result.push(await postgresRows(mix, rows));
  }
  result.push(await pagedRead());
  return result;
}
