/**
 * The SQLite store's write statements, prepared once. Upserts merge a batch's delta into the
 * stored row: counts add, and "latest" fields (status) win by seq, so applying deltas is order-safe.
 */
import type { RunDelta, StepDelta } from "../store-projection.js";
import { runMergeSql, stepMergeSql, type MergeDialect } from "../store-sql.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite-driver.js";

const SQLITE_MERGE: MergeDialect = { max: "MAX", min: "MIN" };

export const INSERT_EVENT_SQL =
  "INSERT INTO events (run_id, seq, account_id, type, step_id, ts, body, truncated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

const UPSERT_RUN_SQL = `INSERT INTO runs (run_id, account_id, workflow, workflow_version, parent_run_id, status, status_seq,
    started_at, last_event_at, ended_at, duration_ms, last_seq, event_count, progress, error,
    steps_completed, steps_failed, steps_skipped, retries, issue_count)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ${runMergeSql(SQLITE_MERGE)}`;

const UPSERT_STEP_SQL = `INSERT INTO steps (run_id, step_id, path, account_id, status, status_seq, attempts,
    started_at, ended_at, duration_ms, total_duration_ms, failures, error)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ${stepMergeSql(SQLITE_MERGE)}`;

/**
 * Binds a run delta to {@link UPSERT_RUN_SQL}. Positional rather than named (`@runId`): the
 * driver looks each named parameter up by name, which made the upserts about a quarter slower.
 */
export function upsertRun(statement: SqliteStatement, r: RunDelta): void {
  statement.run(r.runId, r.accountId, r.workflowName, r.workflowVersion, r.parentRunId, r.status, r.statusSeq, r.startedAt,
    r.lastEventAt, r.endedAt, r.durationMs, r.lastSeq, r.events, r.progress, r.error, r.stepsCompleted, r.stepsFailed,
    r.stepsSkipped, r.retries, r.issues);
}

/** Binds a step delta to {@link UPSERT_STEP_SQL}, positionally (see {@link upsertRun}). */
export function upsertStep(statement: SqliteStatement, d: StepDelta): void {
  statement.run(d.runId, d.stepId, d.path, d.accountId, d.status, d.statusSeq, d.attempts, d.startedAt, d.endedAt,
    d.durationMs, d.totalDurationMs, d.failures, d.error);
}

/** Statements the store runs on every batch or often. */
export interface SqliteStatements {
  insertEvent: SqliteStatement;
  upsertRun: SqliteStatement;
  upsertStep: SqliteStatement;
  hasEvent: SqliteStatement;
  getRun: SqliteStatement;
  listSteps: SqliteStatement;
  lastSeq: SqliteStatement;
  deleteEvents: SqliteStatement;
  deleteSteps: SqliteStatement;
  deleteRuns: SqliteStatement;
}

const EXPIRED_RUNS = "SELECT run_id FROM runs WHERE account_id = ? AND last_event_at < ?";

export function prepareStatements(db: SqliteDatabase): SqliteStatements {
  return {
    insertEvent: db.prepare(INSERT_EVENT_SQL),
    upsertRun: db.prepare(UPSERT_RUN_SQL),
    upsertStep: db.prepare(UPSERT_STEP_SQL),
    hasEvent: db.prepare("SELECT 1 AS found FROM events WHERE run_id = ? AND seq = ?"),
    getRun: db.prepare("SELECT * FROM runs WHERE account_id = ? AND run_id = ?"),
    listSteps: db.prepare(
      "SELECT * FROM steps WHERE account_id = ? AND run_id = ? ORDER BY COALESCE(started_at, ended_at), step_id, path",
    ),
    lastSeq: db.prepare("SELECT MAX(seq) AS seq FROM events WHERE run_id = ? AND account_id = ?"),
    deleteEvents: db.prepare(`DELETE FROM events WHERE account_id = ? AND run_id IN (${EXPIRED_RUNS})`),
    deleteSteps: db.prepare(`DELETE FROM steps WHERE account_id = ? AND run_id IN (${EXPIRED_RUNS})`),
    deleteRuns: db.prepare("DELETE FROM runs WHERE account_id = ? AND last_event_at < ?"),
  };
}
