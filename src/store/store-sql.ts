/**
 * SQL shared by the adapters: the filters of each query, built once for both dialects. A dialect
 * differs only in how it writes a parameter (`?` or `$1`), which the caller passes in.
 */
import type { AnalyticsOptions, FindEventsOptions, ListRunsOptions } from "./store-types.js";

/** Collects parameters and returns the placeholder of each, in the dialect's syntax. */
export interface Params {
  add(value: unknown): string;
  readonly values: unknown[];
}

/** Parameters written `?` (SQLite). */
export function questionParams(): Params {
  const values: unknown[] = [];
  return { values, add: (value) => (values.push(value), "?") };
}

/** Parameters written `$1`, `$2`, … (PostgreSQL). */
export function dollarParams(): Params {
  const values: unknown[] = [];
  return { values, add: (value) => `$${values.push(value)}` };
}

export const MAX_LIMIT = 10_000;

/** A page size: the given one clamped to 1..10,000, or the default. */
export function pageLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isFinite(limit) || limit < 1) throw new RangeError(`limit must be a positive number, got ${limit}`);
  return Math.min(Math.floor(limit), MAX_LIMIT);
}

const EVENT_COLUMNS = "cursor, body, truncated";

/** SELECT for {@link EventStore.findEvents}; asks one row more than the limit, to know if a next page exists. */
export function findEventsSql(p: Params, accountId: string, options: FindEventsOptions, limit: number): string {
  const where = [`account_id = ${p.add(accountId)}`];
  if (options.runId !== undefined) where.push(`run_id = ${p.add(options.runId)}`);
  if (options.type !== undefined) {
    const types = typeof options.type === "string" ? [options.type] : options.type;
    if (types.length === 0) where.push("1 = 0");
    else where.push(`type IN (${types.map((type) => p.add(type)).join(", ")})`);
  }
  if (options.stepId !== undefined) where.push(`step_id = ${p.add(options.stepId)}`);
  if (options.from !== undefined) where.push(`ts >= ${p.add(options.from)}`);
  if (options.to !== undefined) where.push(`ts < ${p.add(options.to)}`);
  if (options.afterCursor !== undefined) where.push(`cursor > ${p.add(options.afterCursor)}`);
  return `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(" AND ")} ORDER BY cursor LIMIT ${p.add(limit + 1)}`;
}

/** SELECT of a run's events after a seq; one row more than the limit. */
export function readRunSql(p: Params, accountId: string, runId: string, after: number, limit: number): string {
  return `SELECT ${EVENT_COLUMNS} FROM events WHERE run_id = ${p.add(runId)} AND seq > ${p.add(after)} AND account_id = ${p.add(accountId)} ORDER BY seq LIMIT ${p.add(limit + 1)}`;
}

/** The position of a run in the newest-first run list: the page token's content. */
interface RunPosition {
  readonly startedAt: number;
  readonly runId: string;
}

export function encodeRunToken(position: RunPosition): string {
  return Buffer.from(JSON.stringify([position.startedAt, position.runId])).toString("base64url");
}

function decodeRunToken(token: string): RunPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") {
      return { startedAt: value[0], runId: value[1] };
    }
  } catch {
    // Reported below with the token itself.
  }
  throw new RangeError(`invalid page token "${token}"`);
}

/** SELECT for {@link EventStore.listRuns}, newest first; one row more than the limit. */
export function listRunsSql(p: Params, accountId: string, options: ListRunsOptions, limit: number): string {
  const where = [`account_id = ${p.add(accountId)}`];
  if (options.status !== undefined) {
    const statuses = typeof options.status === "string" ? [options.status] : options.status;
    if (statuses.length === 0) where.push("1 = 0");
    else where.push(`status IN (${statuses.map((status) => p.add(status)).join(", ")})`);
  }
  if (options.workflow !== undefined) where.push(`workflow = ${p.add(options.workflow)}`);
  if (options.from !== undefined) where.push(`started_at >= ${p.add(options.from)}`);
  if (options.to !== undefined) where.push(`started_at < ${p.add(options.to)}`);
  if (options.withIssues === true) where.push("issue_count > 0");
  if (options.parentRunId !== undefined) where.push(`parent_run_id = ${p.add(options.parentRunId)}`);
  if (options.pageToken !== undefined) {
    const { startedAt, runId } = decodeRunToken(options.pageToken);
    const at = p.add(startedAt);
    where.push(`(started_at < ${at} OR (started_at = ${p.add(startedAt)} AND run_id < ${p.add(runId)}))`);
  }
  return `SELECT * FROM runs WHERE ${where.join(" AND ")} ORDER BY started_at DESC, run_id DESC LIMIT ${p.add(limit + 1)}`;
}

function analyticsWhere(p: Params, accountId: string, options: AnalyticsOptions): string {
  const where = [`s.account_id = ${p.add(accountId)}`];
  if (options.workflow !== undefined) where.push(`r.workflow = ${p.add(options.workflow)}`);
  if (options.from !== undefined) where.push(`r.started_at >= ${p.add(options.from)}`);
  if (options.to !== undefined) where.push(`r.started_at < ${p.add(options.to)}`);
  return where.join(" AND ");
}

/** Average and nearest-rank p95 of completed steps' durations, by step id. Portable: window functions only. */
export function stepDurationsSql(p: Params, accountId: string, options: AnalyticsOptions): string {
  return `WITH d AS (
    SELECT s.step_id, s.duration_ms,
      ROW_NUMBER() OVER (PARTITION BY s.step_id ORDER BY s.duration_ms) AS rn,
      COUNT(*) OVER (PARTITION BY s.step_id) AS n
    FROM steps s JOIN runs r ON r.account_id = s.account_id AND r.run_id = s.run_id
    WHERE ${analyticsWhere(p, accountId, options)} AND s.status = 'completed' AND s.duration_ms IS NOT NULL
  )
  SELECT step_id, COUNT(*) AS count, AVG(duration_ms) AS avg_ms,
    MIN(CASE WHEN rn * 100 >= n * 95 THEN duration_ms END) AS p95_ms
  FROM d GROUP BY step_id ORDER BY avg_ms DESC, step_id`;
}

/** Failed attempts and runs in which the step ended failed, by step id. */
export function stepFailuresSql(p: Params, accountId: string, options: AnalyticsOptions): string {
  return `SELECT s.step_id, SUM(s.failures) AS failures,
      COUNT(DISTINCT CASE WHEN s.status = 'failed' THEN s.run_id END) AS runs_failed
    FROM steps s JOIN runs r ON r.account_id = s.account_id AND r.run_id = s.run_id
    WHERE ${analyticsWhere(p, accountId, options)}
    GROUP BY s.step_id HAVING SUM(s.failures) > 0 ORDER BY failures DESC, s.step_id`;
}

/** How a stored projection column absorbs a batch's delta. */
type Merge = "latest-status" | "max" | "min" | "add" | "incoming-first" | "stored-first";

/**
 * The one place the runs and steps merge rules live: counts add, the status with the higher
 * status seq wins, bounds widen, and a set value is not cleared by a delta that lacks it.
 * Each dialect renders them with its own two-argument max and min.
 */
const RUN_MERGE: readonly (readonly [string, Merge])[] = [
  ["status", "latest-status"],
  ["status_seq", "max"],
  ["started_at", "min"],
  ["last_event_at", "max"],
  ["ended_at", "incoming-first"],
  ["duration_ms", "incoming-first"],
  ["last_seq", "max"],
  ["event_count", "add"],
  ["progress", "incoming-first"],
  ["error", "incoming-first"],
  ["steps_completed", "add"],
  ["steps_failed", "add"],
  ["steps_skipped", "add"],
  ["retries", "add"],
  ["issue_count", "add"],
  ["lease_owner", "incoming-first"],
  ["parent_step_id", "incoming-first"],
  // Tied to the status: the delta whose status wins brings its suspension (null clears it).
  ["suspension", "latest-status"],
  // The wait's deadline moves with the status: set by the run.suspended that made it suspended, cleared by what ended that.
  ["wake_at", "latest-status"],
];

const STEP_MERGE: readonly (readonly [string, Merge])[] = [
  ["status", "latest-status"],
  ["status_seq", "max"],
  ["attempts", "max"],
  ["started_at", "stored-first"],
  ["ended_at", "incoming-first"],
  ["duration_ms", "incoming-first"],
  ["total_duration_ms", "add"],
  ["failures", "add"],
  ["error", "incoming-first"],
];

/** A dialect's names for the two-argument max and min (SQLite `MAX`/`MIN`, PostgreSQL `GREATEST`/`LEAST`). */
export interface MergeDialect {
  readonly max: string;
  readonly min: string;
}

function mergeClause(table: string, key: string, rules: readonly (readonly [string, Merge])[], dialect: MergeDialect): string {
  const set = rules.map(([column, merge]) => {
    const stored = `${table}.${column}`;
    const incoming = `excluded.${column}`;
    switch (merge) {
      case "latest-status":
        return `${column} = CASE WHEN excluded.status_seq > ${table}.status_seq THEN ${incoming} ELSE ${stored} END`;
      case "max":
        return `${column} = ${dialect.max}(${stored}, ${incoming})`;
      case "min":
        return `${column} = ${dialect.min}(${stored}, ${incoming})`;
      case "add":
        return `${column} = ${stored} + ${incoming}`;
      case "incoming-first":
        return `${column} = COALESCE(${incoming}, ${stored})`;
      case "stored-first":
        return `${column} = COALESCE(${stored}, ${incoming})`;
    }
  });
  return `ON CONFLICT (${key}) DO UPDATE SET\n    ${set.join(",\n    ")}`;
}

/** The upsert tail that merges a run delta into its row (runs are keyed by account and run id). */
export const runMergeSql = (dialect: MergeDialect): string => mergeClause("runs", "account_id, run_id", RUN_MERGE, dialect);

/** The upsert tail that merges a step delta into its row (keyed by account, run, step and loop path). */
export const stepMergeSql = (dialect: MergeDialect): string => mergeClause("steps", "account_id, run_id, step_id, path", STEP_MERGE, dialect);
