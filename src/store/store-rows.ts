/**
 * Rows read back from either adapter, turned into records. Both adapters use the same column
 * names, so decoding is shared; events are validated here, because the database is a boundary.
 */
import type { ErrorInfo } from "../events/index.js";
import type { Progress } from "../events/index.js";
import { parseEvent } from "../events/index.js";
import type { RunStatus, StepStatus } from "../projections/index.js";
import type { Page, RunRecord, RunSuspension, StepColumns, StepRecord, StoredEvent, TruncatedField } from "./store-types.js";
import { encodeRunToken } from "./store-sql.js";

/** An events row. `body` is JSON text (SQLite) or already parsed (PostgreSQL jsonb). */
export interface EventRow {
  cursor: number | string | bigint;
  body: unknown;
  truncated: string | null;
}

export function toStoredEvent(row: EventRow, source: string): StoredEvent {
  const value: unknown = typeof row.body === "string" ? JSON.parse(row.body) : row.body;
  const event = parseEvent(value, source);
  const cursor = Number(row.cursor);
  if (row.truncated === null) return { cursor, event };
  return { cursor, event, truncated: JSON.parse(row.truncated) as TruncatedField[] };
}

/** A page from rows fetched with one extra row (which only says whether a next page exists). */
export function toPage<R, T, N>(rows: readonly R[], limit: number, map: (row: R) => T, next: (item: T) => N): Page<T, N> {
  const items = (rows.length > limit ? rows.slice(0, limit) : rows).map(map);
  const last = items.at(-1);
  return rows.length > limit && last !== undefined ? { items, next: next(last) } : { items };
}

/** A runs row, as both adapters return it (numbers may arrive as strings from PostgreSQL bigint). */
export interface RunRow {
  run_id: string;
  account_id: string;
  workflow: string;
  workflow_version: string | null;
  parent_run_id: string | null;
  status: string;
  started_at: number | string;
  last_event_at: number | string;
  ended_at: number | string | null;
  duration_ms: number | string | null;
  last_seq: number | string;
  event_count: number | string;
  progress: string | null;
  error: string | null;
  steps_completed: number | string;
  steps_failed: number | string;
  steps_skipped: number | string;
  retries: number | string;
  issue_count: number | string;
  /** Absent from rows of a store older than the migration that added it. */
  parent_step_id?: string | null;
  suspension?: string | null;
}

export function toRunRecord(row: RunRow): RunRecord {
  return {
    runId: row.run_id,
    accountId: row.account_id,
    workflow: row.workflow_version === null ? { name: row.workflow } : { name: row.workflow, version: row.workflow_version },
    status: row.status as RunStatus,
    ...(row.parent_run_id === null ? {} : { parentRunId: row.parent_run_id }),
    startedAt: Number(row.started_at),
    lastEventAt: Number(row.last_event_at),
    ...(row.ended_at === null ? {} : { endedAt: Number(row.ended_at) }),
    ...(row.duration_ms === null ? {} : { durationMs: Number(row.duration_ms) }),
    lastSeq: Number(row.last_seq),
    eventCount: Number(row.event_count),
    ...(row.progress === null ? {} : { progress: JSON.parse(row.progress) as Progress }),
    ...(row.error === null ? {} : { error: JSON.parse(row.error) as ErrorInfo }),
    stepsCompleted: Number(row.steps_completed),
    stepsFailed: Number(row.steps_failed),
    stepsSkipped: Number(row.steps_skipped),
    retries: Number(row.retries),
    issueCount: Number(row.issue_count),
    ...(row.parent_step_id === null || row.parent_step_id === undefined ? {} : { parentStepId: row.parent_step_id }),
    ...(row.suspension === null || row.suspension === undefined ? {} : { suspension: JSON.parse(row.suspension) as RunSuspension }),
  };
}

export const runPageToken = (run: RunRecord): string => encodeRunToken({ startedAt: run.startedAt, runId: run.runId });

export interface StepRow {
  run_id: string;
  step_id: string;
  path: string;
  status: string;
  attempts: number | string;
  started_at: number | string | null;
  ended_at: number | string | null;
  duration_ms: number | string | null;
  total_duration_ms: number | string;
  failures: number | string;
  error: string | null;
}

export function toStepRecord(row: StepRow): StepRecord {
  return {
    runId: row.run_id,
    stepId: row.step_id,
    path: JSON.parse(row.path) as number[],
    status: row.status as StepStatus,
    attempts: Number(row.attempts),
    ...(row.started_at === null ? {} : { startedAt: Number(row.started_at) }),
    ...(row.ended_at === null ? {} : { endedAt: Number(row.ended_at) }),
    ...(row.duration_ms === null ? {} : { durationMs: Number(row.duration_ms) }),
    totalDurationMs: Number(row.total_duration_ms),
    failures: Number(row.failures),
    ...(row.error === null ? {} : { error: JSON.parse(row.error) as ErrorInfo }),
  };
}

/** The columns {@link toStepColumns} reads, in its tuple's order (both adapters select them so). */
export const STEP_COLUMN_NAMES = "step_id, path, status, attempts, started_at, ended_at, duration_ms, total_duration_ms, failures, error";

/** A steps row as an array, in {@link STEP_COLUMN_NAMES}'s order. */
export type StepTuple = readonly [string, string, string, number | string, number | string | null, number | string | null, number | string | null, number | string, number | string, string | null];

const orNull = (value: number | string | null): number | null => (value === null ? null : Number(value));

/**
 * Steps rows (as arrays) as {@link StepColumns}: no object per row, each id and status once.
 *
 * @example
 * const columns = toStepColumns(statement.raw(true).all(accountId, runId) as StepTuple[]);
 */
export function toStepColumns(rows: readonly StepTuple[]): StepColumns {
  const columns = {
    stepIds: [] as string[], statuses: [] as StepStatus[], step: [] as number[], path: [] as number[][], status: [] as number[],
    attempts: [] as number[], failures: [] as number[], startedAt: [] as (number | null)[], endedAt: [] as (number | null)[],
    durationMs: [] as (number | null)[], totalDurationMs: [] as number[], errors: [] as { row: number; error: ErrorInfo }[],
  };
  const ids = new Map<string, number>();
  const statuses = new Map<string, number>();
  rows.forEach(([stepId, path, status, attempts, startedAt, endedAt, durationMs, totalDurationMs, failures, error], i) => {
    let id = ids.get(stepId);
    if (id === undefined) ids.set(stepId, (id = columns.stepIds.push(stepId) - 1));
    let state = statuses.get(status);
    if (state === undefined) statuses.set(status, (state = columns.statuses.push(status as StepStatus) - 1));
    columns.step.push(id);
    columns.status.push(state);
    columns.path.push(JSON.parse(path) as number[]);
    columns.attempts.push(Number(attempts));
    columns.failures.push(Number(failures));
    columns.startedAt.push(orNull(startedAt));
    columns.endedAt.push(orNull(endedAt));
    columns.durationMs.push(orNull(durationMs));
    columns.totalDurationMs.push(Number(totalDurationMs));
    if (error !== null) columns.errors.push({ row: i, error: JSON.parse(error) as ErrorInfo });
  });
  return columns;
}

/** A steps row read as an object, as the tuple {@link toStepColumns} takes (for a driver without array rows). */
export const stepTuple = (row: StepRow): StepTuple => [row.step_id, row.path, row.status, row.attempts, row.started_at, row.ended_at, row.duration_ms, row.total_duration_ms, row.failures, row.error];
