/**
 * The SQLite store's statements. Upserts merge a batch's delta into the stored row: counts add,
 * and "latest" fields (status) win by seq, so applying deltas is order-safe.
 */
import type { AppendBatch } from "../store-types.js";
import { STEP_COLUMN_NAMES } from "../store-rows.js";
import { runMergeSql, stepMergeSql, type MergeDialect } from "../store-sql.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite-driver.js";
import type { WriteBatch, WriteSql } from "./sqlite-write-core.js";
import type { BucketStart } from "../store-series-sql.js";

const SQLITE_MERGE: MergeDialect = { max: "MAX", min: "MIN" };

export const INSERT_EVENT_SQL =
  "INSERT INTO events (run_id, seq, account_id, type, step_id, ts, body, truncated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

export const UPSERT_RUN_SQL = `INSERT INTO runs (run_id, account_id, workflow, workflow_version, parent_run_id, status, status_seq,
    started_at, last_event_at, ended_at, duration_ms, last_seq, event_count, progress, error,
    steps_completed, steps_failed, steps_skipped, retries, issue_count, lease_owner,
    parent_step_id, suspension, wake_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ${runMergeSql(SQLITE_MERGE)}`;

export const UPSERT_STEP_SQL = `INSERT INTO steps (run_id, step_id, path, account_id, status, status_seq, attempts,
    started_at, ended_at, duration_ms, total_duration_ms, failures, error)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ${stepMergeSql(SQLITE_MERGE)}`;

/** Rows of one statement, column by column (see `Columns` in `sqlite-write-core.js`). */
class ColumnsBuilder {
  readonly columns: unknown[][];
  constructor(width: number) {
    this.columns = Array.from({ length: width }, () => []);
  }
  add(...values: unknown[]): void {
    for (let c = 0; c < values.length; c++) this.columns[c]!.push(values[c]);
  }
}

/**
 * A batch as the positional parameters of {@link INSERT_EVENT_SQL}, {@link UPSERT_RUN_SQL} and
 * {@link UPSERT_STEP_SQL}, in their order. Positional rather than named (`@runId`): the driver
 * looks each named parameter up by name, which made the upserts about a quarter slower.
 */
export function toWriteBatch(batch: AppendBatch): WriteBatch {
  const events = new ColumnsBuilder(8);
  for (const { event, body, truncated } of batch.events) {
    events.add(event.runId, event.seq, event.accountId, event.type, event.stepId ?? null, event.ts, body, truncated);
  }
  const runs = new ColumnsBuilder(24);
  for (const r of batch.runs) {
    runs.add(r.runId, r.accountId, r.workflowName, r.workflowVersion, r.parentRunId, r.status, r.statusSeq, r.startedAt,
      r.lastEventAt, r.endedAt, r.durationMs, r.lastSeq, r.events, r.progress, r.error, r.stepsCompleted, r.stepsFailed,
      r.stepsSkipped, r.retries, r.issues, r.leaseOwner ?? null, r.parentStepId ?? null, r.suspension ?? null, r.wakeAt ?? null);
  }
  const steps = new ColumnsBuilder(13);
  for (const d of batch.steps) {
    steps.add(d.runId, d.stepId, d.path, d.accountId, d.status, d.statusSeq, d.attempts, d.startedAt, d.endedAt,
      d.durationMs, d.totalDurationMs, d.failures, d.error);
  }
  const last = batch.events.at(-1);
  return {
    events: events.columns,
    runs: runs.columns,
    steps: steps.columns,
    checkStored: batch.maybeStored === true && last !== undefined ? [last.event.accountId, last.event.runId, last.event.seq] : null,
  };
}

const EXPIRED_RUNS = "SELECT run_id FROM runs WHERE account_id = ? AND last_event_at < ?";

/** The SQL of every write (see `sqlite-write-core.js`). */
export const WRITE_SQL: WriteSql = {
  insertEvent: INSERT_EVENT_SQL,
  upsertRun: UPSERT_RUN_SQL,
  upsertStep: UPSERT_STEP_SQL,
  hasEvent: "SELECT 1 AS found FROM events WHERE account_id = ? AND run_id = ? AND seq = ?",
  deleteEvents: `DELETE FROM events WHERE account_id = ? AND run_id IN (${EXPIRED_RUNS})`,
  deleteSteps: `DELETE FROM steps WHERE account_id = ? AND run_id IN (${EXPIRED_RUNS})`,
  deleteRuns: "DELETE FROM runs WHERE account_id = ? AND last_event_at < ?",
};

/**
 * One step row's events after a seq: the run's events (its key's range) with the step's id whose
 * `path` is the row's. The path lives only in the body; SQLite's JSON functions write arrays
 * minified, as `JSON.stringify` does, so the text compares equal. Parameters: account, run, after,
 * step id, path (JSON), limit + 1.
 */
export const READ_STEP_EVENTS_SQL = `SELECT cursor, body, truncated FROM events
  WHERE account_id = ? AND run_id = ? AND seq > ? AND step_id = ? AND COALESCE(json_extract(body, '$.path'), '[]') = ?
  ORDER BY seq LIMIT ?`;

const STEP_ORDER = "ORDER BY COALESCE(started_at, ended_at), step_id, path";

/** Rows as arrays, where the binding offers it: about half the time of objects for thousands of rows. */
const arrayRows = (statement: SqliteStatement): { statement: SqliteStatement; raw: boolean } =>
  statement.raw === undefined ? { statement, raw: false } : { statement: statement.raw(true), raw: true };

/** Read statements the store runs often, prepared once. */
export interface SqliteStatements {
  getRun: SqliteStatement;
  listSteps: SqliteStatement;
  /** The steps' columns for `toStepColumns`, as arrays where the binding can (`raw`), else as objects. */
  listStepColumns: { readonly statement: SqliteStatement; readonly raw: boolean };
  getStep: SqliteStatement;
  readStepEvents: SqliteStatement;
  lastSeq: SqliteStatement;
}

export function prepareStatements(db: SqliteDatabase): SqliteStatements {
  return {
    getRun: db.prepare("SELECT * FROM runs WHERE account_id = ? AND run_id = ?"),
    listSteps: db.prepare(`SELECT * FROM steps WHERE account_id = ? AND run_id = ? ${STEP_ORDER}`),
    listStepColumns: arrayRows(db.prepare(`SELECT ${STEP_COLUMN_NAMES} FROM steps WHERE account_id = ? AND run_id = ? ${STEP_ORDER}`)),
    getStep: db.prepare("SELECT * FROM steps WHERE account_id = ? AND run_id = ? AND step_id = ? AND path = ?"),
    readStepEvents: db.prepare(READ_STEP_EVENTS_SQL),
    lastSeq: db.prepare("SELECT MAX(seq) AS seq FROM events WHERE run_id = ? AND account_id = ?"),
  };
}

/**
 * A timestamp floored to its bucket's start. CAST truncates toward zero, which is the floor for
 * the non-negative times stored; `floor()` needs SQLite's optional math functions.
 */
export const SQLITE_BUCKET_START: BucketStart = (p, column, bucketMs) => `CAST(${column} / ${p.add(bucketMs)} AS INTEGER) * ${p.add(bucketMs)}`;
