/**
 * One status vocabulary: the store's runs and steps rows say what the run-state reducer and the
 * API say ("running", never "started"), from the one table in projections/run-status.ts; and a
 * store written with the old word reads with the new one once migrated.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { createBus, projectRun, STEP_STATUS_OF, type RuntrailEvent } from "runtrail";
import { prepareEvent, projectBatch, type EventStore } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { migratePostgres } from "../../src/store/postgres/postgres-schema.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { migrateSqlite } from "../../src/store/sqlite/sqlite-schema.js";
import type { SqliteDatabase } from "../../src/store/sqlite/sqlite-driver.js";
import { PG_URL, pgAdmin, STORES, testSchema } from "./store-fixtures.js";

/** A run whose steps end in every status, each step's events in order. */
function trail(): RuntrailEvent[] {
  const bus = createBus();
  const events: RuntrailEvent[] = [];
  bus.onEvent((event) => events.push(event));
  const runId = "words";
  const workflow = { name: "w" };
  const error = { name: "E", message: "boom", retryable: true };
  void bus.emit({ type: "run.started", runId, workflow });
  void bus.emit({ type: "step.started", runId, workflow, stepId: "started" });
  void bus.emit({ type: "step.started", runId, workflow, stepId: "done" });
  void bus.emit({ type: "step.completed", runId, workflow, stepId: "done", durationMs: 1, output: 1 });
  void bus.emit({ type: "step.started", runId, workflow, stepId: "broke" });
  void bus.emit({ type: "step.failed", runId, workflow, stepId: "broke", durationMs: 1, error });
  void bus.emit({ type: "step.started", runId, workflow, stepId: "again" });
  void bus.emit({ type: "step.retrying", runId, workflow, stepId: "again", error, nextAttempt: 2, delayMs: 10 });
  void bus.emit({ type: "step.skipped", runId, workflow, stepId: "never", reason: "condition false" });
  return events;
}

describe("one status vocabulary", () => {
  it("the store's step rows and the run-state reducer give every step the same status", () => {
    const events = trail();
    const state = projectRun(events)!;
    const { steps } = projectBatch(events.map((event) => prepareEvent(event)));
    const stored = Object.fromEntries(steps.map((step) => [step.stepId, step.status]));
    const reduced = Object.fromEntries(Object.values(state.steps).map((step) => [step.stepId, step.status]));
    expect(stored).toEqual(reduced);
    expect(stored).toEqual({ started: "running", done: "completed", broke: "failed", again: "retrying", never: "skipped" });
    expect(STEP_STATUS_OF["step.started"]).toBe("running");
  });

  it.each(STORES)("$name stores a started step as running", async (factory) => {
    const opened = await factory.open();
    try {
      const prepared = trail().map((event) => prepareEvent(event));
      await opened.store.append({ events: prepared, ...projectBatch(prepared) });
      const steps = await opened.store.listSteps("default", "words");
      expect(steps.find((step) => step.stepId === "started")?.status).toBe("running");
      expect((await opened.store.getRun("default", "words"))?.status).toBe("running");
    } finally {
      await opened.dispose();
    }
  });
});

/** A step row as the store wrote it before the vocabulary was one: status "started". */
const OLD_STEP = `INSERT INTO steps (run_id, step_id, path, account_id, status, status_seq, attempts, total_duration_ms, failures)
  VALUES ('old', 's', '[]', 'default', 'started', 2, 1, 0, 0), ('old', 't', '[]', 'default', 'completed', 3, 1, 5, 0)`;

async function expectNewWords(store: EventStore): Promise<void> {
  const steps = await store.listSteps("default", "old");
  expect(steps.map((step) => [step.stepId, step.status])).toEqual([
    ["s", "running"],
    ["t", "completed"],
  ]);
}

describe("migrating a store written with the old words", () => {
  it("sqlite: a step stored as started reads as running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runtrail-words-"));
    const path = join(dir, "old.db");
    try {
      const old = new Database(path);
      // Version 3: the schema before the status words were one.
      migrateSqlite(old as unknown as SqliteDatabase, 3);
      old.exec(OLD_STEP);
      old.close();
      const store = await openSqliteStore({ path });
      await expectNewWords(store);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.runIf(STORES.some((factory) => factory.name === "postgres"))("postgres", () => {
    const schema = testSchema();
    afterEach(async () => {
      const admin = await pgAdmin();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    });

    it("a step stored as started reads as running", async () => {
      const admin = await pgAdmin();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const old = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      await old.connect();
      // Version 4: the schema before the status words were one.
      await migratePostgres(old, schema, 4);
      await old.query(OLD_STEP);
      await old.end();
      const store = await openPostgresStore({ connectionString: PG_URL, schema });
      await expectNewWords(store);
      await store.close();
    });
  });
});
