/**
 * What the write path's speed work must not change: every column of a projection delta lands in
 * its own column (the SQLite upserts bind by position), and the migrations that make the
 * per-batch upserts cheaper (no index on runs.last_event_at; PostgreSQL: room for HOT updates)
 * apply to new and to existing stores alike.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createBus } from "runtrail";
import { prepareEvent, type RunDelta, type StepDelta } from "../../src/store/index.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openPostgresStore, POSTGRES_SCHEMA_VERSION } from "../../src/store/postgres/index.js";
import { openSqliteStore, SQLITE_SCHEMA_VERSION } from "../../src/store/sqlite/index.js";
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

describe("sqlite schema migrations", () => {
  it("drops the runs.last_event_at index, on a new store and on a store of version 1, keeping rows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runtrail-migrate-"));
    const path = join(dir, "m.db");
    const indexes = (db: Database.Database): string[] =>
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((row) => row.name);
    try {
      await (await openSqliteStore({ path })).close();
      expect(SQLITE_SCHEMA_VERSION).toBe(2);
      const db = new Database(path);
      expect(indexes(db)).toEqual(["runs_account_started", "runs_account_status", "runs_account_workflow"]);
      // Back to what version 1 left, with a row the migration must keep.
      db.exec("CREATE INDEX runs_account_activity ON runs (account_id, last_event_at)");
      db.exec(`INSERT INTO steps (run_id, step_id, path, account_id, status, status_seq, attempts, total_duration_ms, failures)
        VALUES ('r', 's', '[]', 'default', 'started', 1, 1, 0, 0)`);
      db.pragma("user_version = 1");
      db.close();

      const store = await openSqliteStore({ path });
      expect((await store.listSteps("default", "r")).map((step) => step.stepId)).toEqual(["s"]);
      await store.close();
      const after = new Database(path);
      expect(indexes(after)).toEqual(["runs_account_started", "runs_account_status", "runs_account_workflow"]);
      expect(after.pragma("user_version", { simple: true })).toBe(2);
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

  const tableOptions = async (admin: Awaited<ReturnType<typeof pgAdmin>>, table: string): Promise<unknown> => {
    const { rows } = await admin.query<{ reloptions: string[] | null }>(
      "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
      [schema, table],
    );
    return rows[0]?.reloptions;
  };
  const runIndexes = async (admin: Awaited<ReturnType<typeof pgAdmin>>): Promise<string[]> => {
    const { rows } = await admin.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'runs' ORDER BY indexname", [schema]);
    return rows.map((row) => row.indexname);
  };
  const HOT_FRIENDLY = { steps: ["fillfactor=50"], runs: ["fillfactor=50"] };

  it("keeps projection rows HOT-updatable (half-free pages, no index on last_event_at), new or migrated from version 1", async () => {
    const admin = await pgAdmin();
    try {
      await (await openPostgresStore({ connectionString: PG_URL, schema })).close();
      expect(POSTGRES_SCHEMA_VERSION).toBe(3);
      expect({ steps: await tableOptions(admin, "steps"), runs: await tableOptions(admin, "runs") }).toEqual(HOT_FRIENDLY);
      expect(await runIndexes(admin)).not.toContain("runs_account_activity");

      // Back to what version 1 left, with rows that the migrations must keep.
      await admin.query(`ALTER TABLE ${schema}.steps RESET (fillfactor)`);
      await admin.query(`ALTER TABLE ${schema}.runs RESET (fillfactor)`);
      await admin.query(`CREATE INDEX runs_account_activity ON ${schema}.runs (account_id, last_event_at)`);
      await admin.query(`DELETE FROM ${schema}.runtrail_schema_version WHERE version > 1`);
      await admin.query(
        `INSERT INTO ${schema}.steps (run_id, step_id, path, account_id, status, status_seq, attempts, total_duration_ms, failures)
         VALUES ('r', 's', '[]', 'default', 'started', 1, 1, 0, 0)`,
      );
      expect(await tableOptions(admin, "steps")).toBeNull();

      const store = await openPostgresStore({ connectionString: PG_URL, schema });
      expect({ steps: await tableOptions(admin, "steps"), runs: await tableOptions(admin, "runs") }).toEqual(HOT_FRIENDLY);
      expect(await runIndexes(admin)).not.toContain("runs_account_activity");
      const { rows } = await admin.query<{ version: number }>(`SELECT version FROM ${schema}.runtrail_schema_version ORDER BY version`);
      expect(rows.map((row) => row.version)).toEqual([1, 2, 3]);
      expect((await store.listSteps("default", "r")).map((s) => s.stepId)).toEqual(["s"]);
      await store.close();
    } finally {
      await admin.end();
    }
  });
});
