/**
 * The time-bucketed step analytics ({@link EventStore.stepSeries}), built once for both
 * dialects: the statement is portable (CTEs and window functions), and a dialect supplies only
 * how it floors a timestamp to its bucket. The nearest-rank p95 is the one of `stepDurationsSql`,
 * so a bucket's p95 and the totals' agree on what p95 means, and both stores answer alike.
 */
import type { Params } from "./store-sql.js";
import type { StepSeries, StepSeriesOptions, StepSeriesPoint } from "./store-types.js";

/**
 * Writes the SQL that floors `column` (epoch ms, never negative) to the start of its bucket of
 * `bucketMs`, adding the parameters it needs to `p`.
 */
export type BucketStart = (p: Params, column: string, bucketMs: number) => string;

/**
 * Refuses options no bucketing can answer, naming the option: the route checks the same and
 * answers 400 first, so this guards other callers of the store.
 */
export function checkSeriesOptions(options: StepSeriesOptions): void {
  if (!Number.isSafeInteger(options.bucketMs) || options.bucketMs < 1) throw new RangeError(`bucketMs must be a positive integer (ms), got ${options.bucketMs}`);
  if (!Number.isFinite(options.from) || options.from < 0) throw new RangeError(`from must be an epoch ms time, got ${options.from}`);
  if (!Number.isFinite(options.to)) throw new RangeError(`to must be an epoch ms time, got ${options.to}`);
  if (options.from > options.to) throw new RangeError(`from (${options.from}) is after to (${options.to})`);
}

/**
 * SELECT for {@link EventStore.stepSeries}: one row per step id and bucket in which a step of
 * the workflow ended completed or failed (or ended an attempt failed and is retrying). Skipped
 * and still-running steps have no outcome yet and are left out. `r.started_at < to` adds
 * nothing to the answer (a step ends after its run starts) but lets the planner walk the
 * workflow's runs by their index instead of every step of the account.
 */
export function stepSeriesSql(p: Params, accountId: string, options: StepSeriesOptions, bucketStart: BucketStart): string {
  // The bucket expression comes first in the text, so its parameters are added first (`?` is positional).
  const bucket = bucketStart(p, "s.ended_at", options.bucketMs);
  const where = [
    `s.account_id = ${p.add(accountId)}`,
    `r.workflow = ${p.add(options.workflow)}`,
    `r.started_at < ${p.add(options.to)}`,
    `s.ended_at >= ${p.add(options.from)}`,
    `s.ended_at < ${p.add(options.to)}`,
    "(s.status IN ('completed', 'failed') OR s.failures > 0)",
  ];
  // One pass, no join back: each row is ranked among its bucket's completed ones (`done` = 1),
  // then one GROUP BY takes counts, average and p95 together. (A join of per-bucket durations
  // back onto per-bucket outcomes made PostgreSQL, before its first ANALYZE of the tables, pick
  // a nested loop that re-ran the durations for every bucket: 15 s for a week of 15,000 runs.)
  return `WITH s AS (
    SELECT s.step_id, s.run_id, s.status, s.duration_ms, s.failures, ${bucket} AS t,
      CASE WHEN s.status = 'completed' AND s.duration_ms IS NOT NULL THEN 1 ELSE 0 END AS done
    FROM steps s JOIN runs r ON r.account_id = s.account_id AND r.run_id = s.run_id
    WHERE ${where.join(" AND ")}
  ),
  ranked AS (
    SELECT step_id, run_id, status, duration_ms, failures, t, done,
      ROW_NUMBER() OVER (PARTITION BY step_id, t, done ORDER BY duration_ms) AS rn,
      SUM(done) OVER (PARTITION BY step_id, t) AS n
    FROM s
  )
  SELECT step_id, t,
    SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed,
    SUM(failures) AS failures,
    COUNT(DISTINCT CASE WHEN status = 'failed' THEN run_id END) AS runs_failed,
    AVG(CASE WHEN done = 1 THEN duration_ms END) AS avg_ms,
    MIN(CASE WHEN done = 1 AND rn * 100 >= n * 95 THEN duration_ms END) AS p95_ms
  FROM ranked GROUP BY step_id, t`;
}

/** A row of {@link stepSeriesSql}; PostgreSQL sends its bigint counts as strings. */
export interface StepSeriesRow {
  readonly step_id: string;
  readonly t: number | string;
  readonly completed: number | string;
  readonly failures: number | string;
  readonly runs_failed: number | string;
  readonly avg_ms: number | string | null;
  readonly p95_ms: number | string | null;
}

/**
 * Rows as series: grouped by step id and sorted here, not in SQL, because the databases' text
 * collations differ (PostgreSQL's follows the locale) and both stores must answer in one order.
 */
export function toStepSeries(rows: readonly StepSeriesRow[]): StepSeries[] {
  const byStep = new Map<string, StepSeriesPoint[]>();
  for (const row of rows) {
    const point: StepSeriesPoint = {
      t: Number(row.t),
      completed: Number(row.completed),
      failures: Number(row.failures),
      runsFailed: Number(row.runs_failed),
      ...(row.avg_ms === null ? {} : { avgMs: Number(row.avg_ms) }),
      ...(row.p95_ms === null ? {} : { p95Ms: Number(row.p95_ms) }),
    };
    let points = byStep.get(row.step_id);
    if (points === undefined) byStep.set(row.step_id, (points = []));
    points.push(point);
  }
  return [...byStep.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((stepId) => ({ stepId, points: byStep.get(stepId)!.sort((a, b) => a.t - b.t) }));
}
