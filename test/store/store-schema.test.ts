/**
 * What the write path's speed work must not change: every column of a projection delta lands in
 * its own column (the SQLite upserts bind by position), and the PostgreSQL migration that leaves
 * room for HOT updates of steps applies to new and to existing stores alike.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createBus } from "runtrail";
import { prepareEvent, type RunDelta, type StepDelta } from "../../src/store/index.js";
import { openPostgresStore, POSTGRES_SCHEMA_VERSION } from "../../src/store/postgres/index.js";
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

describe.runIf(STORES.some((factory) => factory.name === "postgres"))("postgres schema migrations", () => {
  const schema = testSchema();
  afterEach(async () => {
    const admin = await pgAdmin();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  const stepsOptions = async (admin: Awaited<ReturnType<typeof pgAdmin>>): Promise<unknown> => {
    const { rows } = await admin.query<{ reloptions: string[] | null }>(
      "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'steps'",
      [schema],
    );
    return rows[0]?.reloptions;
  };

  it("leaves half of each steps page free, on a new store and on a store of version 1", async () => {
    const admin = await pgAdmin();
    try {
      await (await openPostgresStore({ connectionString: PG_URL, schema })).close();
      expect(POSTGRES_SCHEMA_VERSION).toBe(2);
      expect(await stepsOptions(admin)).toEqual(["fillfactor=50"]);

      // Back to what version 1 left, with a row that the migration must keep.
      await admin.query(`ALTER TABLE ${schema}.steps RESET (fillfactor)`);
      await admin.query(`DELETE FROM ${schema}.runtrail_schema_version WHERE version = 2`);
      await admin.query(
        `INSERT INTO ${schema}.steps (run_id, step_id, path, account_id, status, status_seq, attempts, total_duration_ms, failures)
         VALUES ('r', 's', '[]', 'default', 'started', 1, 1, 0, 0)`,
      );
      expect(await stepsOptions(admin)).toBeNull();

      const store = await openPostgresStore({ connectionString: PG_URL, schema });
      expect(await stepsOptions(admin)).toEqual(["fillfactor=50"]);
      const { rows } = await admin.query<{ version: number }>(`SELECT version FROM ${schema}.runtrail_schema_version ORDER BY version`);
      expect(rows.map((row) => row.version)).toEqual([1, 2]);
      expect((await store.listSteps("default", "r")).map((s) => s.stepId)).toEqual(["s"]);
      await store.close();
    } finally {
      await admin.end();
    }
  });
});
