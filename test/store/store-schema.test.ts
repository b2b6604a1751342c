/**
 * What the write path's speed work must not change: every column of a projection delta lands in
 * its own column (the SQLite upserts bind by position), and the migrations that make the
 * per-batch upserts cheaper (no index on runs.last_event_at; PostgreSQL: room for HOT updates)
 * apply to new and to existing stores alike.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createBus, type RuntrailEvent } from "runtrail";
import { prepareEvent, projectBatch, type EventStore, type RunDelta, type StepDelta } from "../../src/store/index.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { openPostgresStore, POSTGRES_SCHEMA_VERSION } from "../../src/store/postgres/index.js";
import { migratePostgres } from "../../src/store/postgres/postgres-schema.js";
import { openSqliteStore, SQLITE_SCHEMA_VERSION } from "../../src/store/sqlite/index.js";
import { migrateSqlite } from "../../src/store/sqlite/sqlite-schema.js";
import type { SqliteDatabase } from "../../src/store/sqlite/sqlite-driver.js";
import { PG_URL, pgAdmin, STORES, testSchema, type OpenedStore } from "./store-fixtures.js";

/** A delta whose every field differs from every other, so a column bound out of place shows. */
const run: RunDelta = {
  runId: "r1",
  accountId: "acct",
  workflowName: "wf",
  workflowVersion: "v7",
  parentRunId: "parent",
  status: "failed",
  statusSeq: 3,
  startedAt: 1_001,
  lastEventAt: 1_003,
  endedAt: 1_002,
  durationMs: 11,
  lastSeq: 4,
  events: 5,
  progress: JSON.stringify({ completed: 6, failed: 0, skipped: 0, total: 9 }),
  error: JSON.stringify({ name: "E", message: "run" }),
  stepsCompleted: 12,
  stepsFailed: 13,
  stepsSkipped: 14,
  retries: 15,
  issues: 16,
};

const step: StepDelta = {
  runId: "r1",
  accountId: "acct",
  stepId: "s1",
  path: "[2,3]",
  status: "failed",
  statusSeq: 3,
  attempts: 17,
  startedAt: 1_004,
  endedAt: 1_005,
  durationMs: 18,
  totalDurationMs: 19,
  failures: 20,
  error: JSON.stringify({ name: "E", message: "step" }),
};

describe.each(STORES)("projection columns: $name", (factory) => {
  let opened: OpenedStore | undefined;
  afterEach(async () => {
    await opened?.dispose();
    opened = undefined;
  });

  it("stores every field of a run delta and a step delta in its own column", async () => {
    opened = await factory.open();
    const { store } = opened;
    const bus = createBus();
    const events: ReturnType<typeof prepareEvent>[] = [];
    bus.onEvent((event) => events.push(prepareEvent(event)));
    void bus.emit({ type: "run.started", runId: "r1", accountId: "acct", workflow: { name: "wf", version: "v7" } });
    await store.append({ events, runs: [run], steps: [step] });

    expect(await store.getRun("acct", "r1")).toEqual({
      runId: "r1",
      accountId: "acct",
      workflow: { name: "wf", version: "v7" },
      status: "failed",
      parentRunId: "parent",
      startedAt: 1_001,
      lastEventAt: 1_003,
      endedAt: 1_002,
      durationMs: 11,
      lastSeq: 4,
      eventCount: 5,
      progress: { completed: 6, failed: 0, skipped: 0, total: 9 },
      error: { name: "E", message: "run" },
      stepsCompleted: 12,
      stepsFailed: 13,
      stepsSkipped: 14,
      retries: 15,
      issueCount: 16,
    });
    expect(await store.listSteps("acct", "r1")).toEqual([
      {
        runId: "r1",
        stepId: "s1",
        path: [2, 3],
        status: "failed",
        attempts: 17,
        startedAt: 1_004,
        endedAt: 1_005,
        durationMs: 18,
        totalDurationMs: 19,
        failures: 20,
        error: { name: "E", message: "step" },
      },
    ]);
  });
});

/** Real events' JSON bodies as SQL string literals: run `r` seq 1 and 2, run `gone` seq 1. */
function v1Bodies(): string[] {
  let ts = 0;
  const bus = createBus({ clock: () => ++ts });
  const bodies: string[] = [];
  bus.onEvent((event) => bodies.push(`'${JSON.stringify(event).replaceAll("'", "''")}'`));
  void bus.emit({ type: "run.started", runId: "r", workflow: { name: "w" } });
  void bus.emit({ type: "step.started", runId: "r", workflow: { name: "w" }, stepId: "s" });
  void bus.emit({ type: "run.started", runId: "gone", workflow: { name: "w" } });
  return bodies;
}
const [R1, R2, GONE] = v1Bodies();

/** Rows a version-1 store holds, which every later migration must keep (cursor 3 is deleted later). */
const V1_EVENTS = `INSERT INTO events (cursor, run_id, seq, account_id, type, step_id, ts, body, truncated) VALUES
  (1, 'r', 1, 'default', 'run.started', NULL, 1, ${R1}, NULL),
  (2, 'r', 2, 'default', 'step.started', 's', 2, ${R2}, NULL),
  (3, 'gone', 1, 'default', 'run.started', NULL, 3, ${GONE}, NULL)`;
const V1_RUN = `INSERT INTO runs (run_id, account_id, workflow, status, status_seq, started_at, last_event_at, last_seq, event_count,
  steps_completed, steps_failed, steps_skipped, retries, issue_count) VALUES ('r', 'default', 'w', 'running', 1, 1, 2, 2, 2, 0, 0, 0, 0, 0)`;
const V1_STEP = `INSERT INTO steps (run_id, step_id, path, account_id, status, status_seq, attempts, total_duration_ms, failures)
  VALUES ('r', 's', '[]', 'default', 'started', 2, 1, 0, 0)`;

/** What a migrated store must show: the old rows, one run id in two accounts, and cursors never reused. */
async function expectMigrated(store: EventStore): Promise<void> {
  expect((await store.readRun("default", "r")).items.map((item) => [item.cursor, item.event.seq])).toEqual([
    [1, 1],
    [2, 2],
  ]);
  expect((await store.getRun("default", "r"))?.eventCount).toBe(2);
  expect((await store.listSteps("default", "r")).map((step) => step.stepId)).toEqual(["s"]);
  const bus = createBus();
  const events: RuntrailEvent[] = [];
  bus.onEvent((event) => events.push(event));
  void bus.emit({ type: "run.started", runId: "r", workflow: { name: "w" }, accountId: "other" });
  const prepared = events.map((event) => prepareEvent(event));
  const { cursors } = await store.append({ events: prepared, ...projectBatch(prepared) });
  // Cursor 3 was the highest ever drawn (then deleted): the next one is 4, not a reused 3.
  expect(cursors).toEqual([4]);
  expect((await store.getRun("other", "r"))?.eventCount).toBe(1);
  expect((await store.getRun("default", "r"))?.eventCount).toBe(2);
}

describe("sqlite schema migrations", () => {
  it("migrates a version-1 store: no runs.last_event_at index, runs keyed by account, rows and cursors kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runtrail-migrate-"));
    const path = join(dir, "m.db");
    const indexes = (db: Database.Database): string[] =>
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((row) => row.name);
    try {
      const old = new Database(path);
      // better-sqlite3's typings and the store's slice of them differ only in generics.
      migrateSqlite(old as unknown as SqliteDatabase, 1);
      old.exec(`${V1_EVENTS}; ${V1_RUN}; ${V1_STEP}; DELETE FROM events WHERE cursor = 3;`);
      expect(indexes(old)).toContain("runs_account_activity");
      old.close();

      const store = await openSqliteStore({ path });
      await expectMigrated(store);
      await store.close();
      const after = new Database(path);
      expect(indexes(after)).toEqual(["runs_account_parent", "runs_account_started", "runs_account_status", "runs_account_workflow", "runs_lease_open", "runs_wake"]);
      expect(after.pragma("user_version", { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
      expect(SQLITE_SCHEMA_VERSION).toBe(8);
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(STORES.some((factory) => factory.name === "postgres"))("postgres schema migrations", () => {
  const schema = testSchema();
  afterEach(async () => {
    const admin = await pgAdmin();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it("migrates a version-1 store: HOT-friendly projections, runs keyed by account, rows and cursors kept", async () => {
    const admin = await pgAdmin();
    const tableOptions = async (table: string): Promise<unknown> => {
      const { rows } = await admin.query<{ reloptions: string[] | null }>(
        "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
        [schema, table],
      );
      return rows[0]?.reloptions;
    };
    const keys = async (): Promise<string[]> => {
      const { rows } = await admin.query<{ def: string }>(
        `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE n.nspname = $1 AND c.contype IN ('p', 'u') ORDER BY def`,
        [schema],
      );
      return rows.map((row) => row.def);
    };
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
      const old = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      await old.connect();
      await migratePostgres(old, schema, 1);
      await old.query(V1_EVENTS);
      await old.query(`SELECT setval(pg_get_serial_sequence('events', 'cursor'), 3)`);
      await old.query("DELETE FROM events WHERE cursor = 3");
      await old.query(V1_RUN);
      await old.query(V1_STEP);
      await old.end();

      const store = await openPostgresStore({ connectionString: PG_URL, schema });
      await expectMigrated(store);
      await store.close();
      expect(POSTGRES_SCHEMA_VERSION).toBe(9);
      expect({ steps: await tableOptions("steps"), runs: await tableOptions("runs") }).toEqual({ steps: ["fillfactor=50"], runs: ["fillfactor=50"] });
      expect(await keys()).toEqual([
        "PRIMARY KEY (account_id, run_id)",
        "PRIMARY KEY (account_id, run_id, step_id, path)",
        "PRIMARY KEY (cursor)",
        "PRIMARY KEY (owner_id)",
        "PRIMARY KEY (version)",
        "UNIQUE (account_id, run_id, seq)",
      ]);
      const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM pg_indexes WHERE schemaname = $1 AND indexname = 'runs_account_activity'`, [schema]);
      expect(Number(rows[0]?.n)).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
