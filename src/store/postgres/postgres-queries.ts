/**
 * The PostgreSQL store's write statements. A batch travels as one JSON parameter per table and
 * is expanded server-side (`jsonb_array_elements`, `jsonb_to_recordset`): one round trip per
 * table, no per-row escaping, and the events' jsonb bodies are parsed exactly once.
 */
import { runMergeSql, stepMergeSql, type MergeDialect } from "../store-sql.js";

const POSTGRES_MERGE: MergeDialect = { max: "GREATEST", min: "LEAST" };

/** Inserts a batch: `$1` the JSON array of event bodies, `$2` the truncation records (text[], aligned); returns the cursors. */
export const INSERT_EVENTS_SQL = `INSERT INTO events (run_id, seq, account_id, type, step_id, ts, body, truncated)
  SELECT e->>'runId', (e->>'seq')::bigint, e->>'accountId', e->>'type', e->>'stepId', (e->>'ts')::float8, e, ($2::text[])[x.i]
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, i)
  ORDER BY x.i
  RETURNING cursor`;

export const UPSERT_RUNS_SQL = `INSERT INTO runs AS runs (run_id, account_id, workflow, workflow_version, parent_run_id, status, status_seq,
    started_at, last_event_at, ended_at, duration_ms, last_seq, event_count, progress, error,
    steps_completed, steps_failed, steps_skipped, retries, issue_count)
  SELECT "runId", "accountId", "workflowName", "workflowVersion", "parentRunId", "status", "statusSeq",
    "startedAt", "lastEventAt", "endedAt", "durationMs", "lastSeq", "events", "progress", "error",
    "stepsCompleted", "stepsFailed", "stepsSkipped", "retries", "issues"
  FROM jsonb_to_recordset($1::jsonb) AS d("runId" text, "accountId" text, "workflowName" text, "workflowVersion" text,
    "parentRunId" text, "status" text, "statusSeq" bigint, "startedAt" float8, "lastEventAt" float8, "endedAt" float8,
    "durationMs" float8, "lastSeq" bigint, "events" bigint, "progress" text, "error" text, "stepsCompleted" int,
    "stepsFailed" int, "stepsSkipped" int, "retries" int, "issues" int)
  ${runMergeSql(POSTGRES_MERGE)}`;

export const UPSERT_STEPS_SQL = `INSERT INTO steps AS steps (run_id, step_id, path, account_id, status, status_seq, attempts,
    started_at, ended_at, duration_ms, total_duration_ms, failures, error)
  SELECT "runId", "stepId", "path", "accountId", "status", "statusSeq", "attempts",
    "startedAt", "endedAt", "durationMs", "totalDurationMs", "failures", "error"
  FROM jsonb_to_recordset($1::jsonb) AS d("runId" text, "stepId" text, "path" text, "accountId" text, "status" text,
    "statusSeq" bigint, "attempts" int, "startedAt" float8, "endedAt" float8, "durationMs" float8,
    "totalDurationMs" float8, "failures" int, "error" text)
  ${stepMergeSql(POSTGRES_MERGE)}`;

/**
 * Serialises writers: a bigserial is drawn before commit, so two concurrent transactions could
 * commit cursors out of order and a reader paging by cursor would skip one. One writer at a time
 * makes cursor order commit order.
 */
export const WRITE_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('runtrail-append:' || current_schema()))";

export const HAS_EVENT_SQL = "SELECT 1 AS found FROM events WHERE run_id = $1 AND seq = $2";
export const GET_RUN_SQL = "SELECT * FROM runs WHERE account_id = $1 AND run_id = $2";
export const LIST_STEPS_SQL =
  "SELECT * FROM steps WHERE account_id = $1 AND run_id = $2 ORDER BY COALESCE(started_at, ended_at), step_id, path";
export const LAST_SEQ_SQL = "SELECT MAX(seq) AS seq FROM events WHERE run_id = $1 AND account_id = $2";

const EXPIRED_RUNS = "SELECT run_id FROM runs WHERE account_id = $1 AND last_event_at < $2";
export const DELETE_EVENTS_SQL = `DELETE FROM events WHERE account_id = $1 AND run_id IN (${EXPIRED_RUNS})`;
export const DELETE_STEPS_SQL = `DELETE FROM steps WHERE account_id = $1 AND run_id IN (${EXPIRED_RUNS})`;
export const DELETE_RUNS_SQL = "DELETE FROM runs WHERE account_id = $1 AND last_event_at < $2";
