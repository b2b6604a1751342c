/**
 * The SQLite event store: one file, WAL mode, created on first use. The default store.
 */
import { questionParams, findEventsSql, listRunsSql, pageLimit, readRunSql, stepDurationsSql, stepFailuresSql } from "../store-sql.js";
import { runPageToken, stepTuple, toPage, toRunRecord, toStepColumns, toStepRecord, toStoredEvent, type EventRow, type RunRow, type StepRow, type StepTuple } from "../store-rows.js";
import {
  ABANDONED_RUNS_SQL,
  CLAIM_READ_SQL,
  CLAIM_RUN_SQL,
  DROP_EXPIRED_LEASES_SQL,
  DUE_RUNS_SQL,
  LEASE_EXPIRY_SQL,
  RELEASE_LEASE_SQL,
  RECOVERING_LEASES_SQL,
  recoversText,
  RELEASE_RUN_SQL,
  RENEW_LEASE_SQL,
  toAbandonedRun,
  toDueRun,
  toRecoveringLeases,
  type AbandonedRow,
  type ClaimRow,
  type DueRow,
} from "../store-lease-sql.js";
import { decideClaim } from "../lease/run-claim.js";
import type {
  AbandonedRun,
  AnalyticsOptions,
  AppendBatch,
  AppendResult,
  DueRun,
  EventStore,
  FindEventsOptions,
  LeaseRenewal,
  ListRunsOptions,
  Page,
  ReadRunOptions,
  ReadStepEventsOptions,
  RecoveringLease,
  RetentionResult,
  RunClaim,
  RunRecord,
  StepDurationStat,
  StepFailureStat,
  StepColumns,
  StepRecord,
  StepSeries,
  StepSeriesOptions,
  StoredEvent,
} from "../store-types.js";
import { openDatabase, type SqliteDatabase, type SqliteStatement } from "./sqlite-driver.js";
import { prepareStatements, SQLITE_BUCKET_START, type SqliteStatements } from "./sqlite-queries.js";
import { checkSeriesOptions, stepSeriesSql, toStepSeries, type StepSeriesRow } from "../store-series-sql.js";
import { migrateSqlite } from "./sqlite-schema.js";
import { inThreadWriter, settle, threadWriter, type SqliteWriter } from "./sqlite-thread-client.js";

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file, created on first use. Default `./runtrail.db`; `:memory:` for tests. */
  path?: string;
  /** An open better-sqlite3 (or compatible) database to use instead of opening `path`. */
  database?: SqliteDatabase;
  /**
   * `normal` (default): a commit survives a crash of the process (WAL); the last commits may be
   * lost on power loss. `full`: fsync on every commit, so a commit also survives power loss.
   */
  synchronous?: "normal" | "full";
  /**
   * Write on a worker thread with its own connection (default for a database file): commits then
   * never stall this thread, and preparing the next batch overlaps with committing this one. WAL
   * checkpoints run on a further thread, so no commit waits for one. Always off for `:memory:`
   * and for a `database` passed in.
   */
  writeThread?: boolean;
}

class SqliteStore implements EventStore {
  readonly kind = "sqlite";
  private readonly statements: SqliteStatements;
  /**
   * Query statements by SQL text. Queries are built per call but come in few shapes (values are
   * bound, not inlined), and preparing one cost more than reading a page with it.
   */
  private readonly queries = new Map<string, SqliteStatement>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly writer: SqliteWriter,
  ) {
    this.statements = prepareStatements(db);
  }

  append(batch: AppendBatch): Promise<AppendResult> {
    return this.writer.append(batch);
  }

  private query(sql: string): SqliteStatement {
    let statement = this.queries.get(sql);
    if (statement === undefined) {
      // Bounded, oldest out: a caller passing ever-new filter shapes cannot grow it without end.
      if (this.queries.size >= 256) this.queries.delete(this.queries.keys().next().value!);
      statement = this.db.prepare(sql);
      this.queries.set(sql, statement);
    }
    return statement;
  }

  readRun(accountId: string, runId: string, options: ReadRunOptions = {}): Promise<Page<StoredEvent, number>> {
    return settle(() => {
      const limit = pageLimit(options.limit, 500);
      const p = questionParams();
      const sql = readRunSql(p, accountId, runId, options.after ?? 0, limit);
      const rows = this.query(sql).all(...p.values) as EventRow[];
      return toPage(rows, limit, (row) => toStoredEvent(row, `sqlite events cursor ${String(row.cursor)}`), (item) => item.event.seq);
    });
  }

  findEvents(accountId: string, options: FindEventsOptions = {}): Promise<Page<StoredEvent, number>> {
    return settle(() => {
      const limit = pageLimit(options.limit, 500);
      const p = questionParams();
      const rows = this.query(findEventsSql(p, accountId, options, limit)).all(...p.values) as EventRow[];
      return toPage(rows, limit, (row) => toStoredEvent(row, `sqlite events cursor ${String(row.cursor)}`), (item) => item.cursor);
    });
  }

  getRun(accountId: string, runId: string): Promise<RunRecord | undefined> {
    return settle(() => {
      const row = this.statements.getRun.get(accountId, runId) as RunRow | undefined;
      return row === undefined ? undefined : toRunRecord(row);
    });
  }

  listRuns(accountId: string, options: ListRunsOptions = {}): Promise<Page<RunRecord>> {
    return settle(() => {
      const limit = pageLimit(options.limit, 100);
      const p = questionParams();
      const rows = this.query(listRunsSql(p, accountId, options, limit)).all(...p.values) as RunRow[];
      return toPage(rows, limit, toRunRecord, runPageToken);
    });
  }

  listSteps(accountId: string, runId: string): Promise<readonly StepRecord[]> {
    return settle(() => (this.statements.listSteps.all(accountId, runId) as StepRow[]).map(toStepRecord));
  }

  listStepColumns(accountId: string, runId: string): Promise<StepColumns> {
    return settle(() => {
      const { statement, raw } = this.statements.listStepColumns;
      const rows = statement.all(accountId, runId);
      return toStepColumns(raw ? (rows as StepTuple[]) : (rows as StepRow[]).map(stepTuple));
    });
  }

  getStep(accountId: string, runId: string, stepId: string, path: readonly number[]): Promise<StepRecord | undefined> {
    return settle(() => {
      const row = this.statements.getStep.get(accountId, runId, stepId, JSON.stringify(path)) as StepRow | undefined;
      return row === undefined ? undefined : toStepRecord(row);
    });
  }

  readStepEvents(accountId: string, runId: string, stepId: string, options: ReadStepEventsOptions = {}): Promise<Page<StoredEvent, number>> {
    return settle(() => {
      const limit = pageLimit(options.limit, 500);
      const rows = this.statements.readStepEvents.all(accountId, runId, options.after ?? 0, stepId, JSON.stringify(options.path ?? []), limit + 1) as EventRow[];
      return toPage(rows, limit, (row) => toStoredEvent(row, `sqlite events cursor ${String(row.cursor)}`), (item) => item.event.seq);
    });
  }

  stepDurations(accountId: string, options: AnalyticsOptions = {}): Promise<readonly StepDurationStat[]> {
    return settle(() => {
      const p = questionParams();
      const rows = this.query(stepDurationsSql(p, accountId, options)).all(...p.values) as {
        step_id: string;
        count: number;
        avg_ms: number;
        p95_ms: number;
      }[];
      return rows.map((row) => ({ stepId: row.step_id, count: row.count, avgMs: row.avg_ms, p95Ms: row.p95_ms }));
    });
  }

  stepFailures(accountId: string, options: AnalyticsOptions = {}): Promise<readonly StepFailureStat[]> {
    return settle(() => {
      const p = questionParams();
      const rows = this.query(stepFailuresSql(p, accountId, options)).all(...p.values) as {
        step_id: string;
        failures: number;
        runs_failed: number;
      }[];
      return rows.map((row) => ({ stepId: row.step_id, failures: row.failures, runsFailed: row.runs_failed }));
    });
  }

  stepSeries(accountId: string, options: StepSeriesOptions): Promise<readonly StepSeries[]> {
    return settle(() => {
      checkSeriesOptions(options);
      const p = questionParams();
      const rows = this.query(stepSeriesSql(p, accountId, options, SQLITE_BUCKET_START)).all(...p.values) as StepSeriesRow[];
      return toStepSeries(rows);
    });
  }

  deleteRunsBefore(accountId: string, before: number): Promise<RetentionResult> {
    return this.writer.deleteRunsBefore(accountId, before);
  }

  lastSeq(accountId: string, runId: string): Promise<number> {
    return settle(() => {
      const row = this.statements.lastSeq.get(runId, accountId) as { seq: number | null } | undefined;
      return row?.seq ?? 0;
    });
  }

  /**
   * Lease writes are a row each, a few per process and minute: they go through this thread's
   * connection (the busy timeout waits out a commit of the write thread) rather than queue
   * behind event batches on the write thread.
   */
  renewLease(ownerId: string, holder: string, ttlMs: number, recovers?: readonly { readonly name: string; readonly version?: string | undefined }[]): Promise<LeaseRenewal> {
    return settle(() => {
      // IMMEDIATE: the read of the old expiry and the renewal are one step for other processes.
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const now = Date.now();
        const before = this.query(LEASE_EXPIRY_SQL).get(ownerId) as { expires_at: number } | undefined;
        const expiresAt = now + ttlMs;
        this.query(RENEW_LEASE_SQL).run(ownerId, holder, now, now, expiresAt, recoversText(recovers));
        this.db.exec("COMMIT");
        return { expiresAt, lapsed: before === undefined || before.expires_at < now };
      } catch (error) {
        this.db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  releaseLease(ownerId: string): Promise<void> {
    return settle(() => void this.query(RELEASE_LEASE_SQL).run(ownerId));
  }

  abandonedRuns(limit: number): Promise<readonly AbandonedRun[]> {
    return settle(() => (this.query(ABANDONED_RUNS_SQL).all(Date.now(), pageLimit(limit, 100)) as AbandonedRow[]).map(toAbandonedRun));
  }

  dropExpiredLeases(): Promise<number> {
    return settle(() => this.query(DROP_EXPIRED_LEASES_SQL).run(Date.now()).changes);
  }

  recoveringLeases(): Promise<readonly RecoveringLease[]> {
    return settle(() => toRecoveringLeases(this.query(RECOVERING_LEASES_SQL).all(Date.now()) as { owner_id: string; recovers: string }[]));
  }

  dueRuns(limit: number): Promise<readonly DueRun[]> {
    return settle(() => {
      const now = Date.now();
      return (this.query(DUE_RUNS_SQL).all(now, now, pageLimit(limit, 100)) as DueRow[]).map(toDueRun);
    });
  }

  claimRun(accountId: string, runId: string, ownerId: string): Promise<RunClaim> {
    return settle(() => {
      // IMMEDIATE: the checks and the tie are one step for every other connection (the write
      // thread's and other processes'), so two claimants cannot both see the run free.
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const now = Date.now();
        const row = this.query(CLAIM_READ_SQL).get(accountId, runId) as ClaimRow | undefined;
        const expiry = (owner: string | null | undefined): number | undefined =>
          owner == null ? undefined : (this.query(LEASE_EXPIRY_SQL).get(owner) as { expires_at: number } | undefined)?.expires_at;
        const claim = decideClaim(runId, ownerId, row, expiry(row?.lease_owner), expiry(ownerId), now);
        if (claim.claimed) this.query(CLAIM_RUN_SQL).run(ownerId, accountId, runId);
        this.db.exec("COMMIT");
        return claim;
      } catch (error) {
        this.db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  releaseRun(accountId: string, runId: string, ownerId: string, to: string | null): Promise<boolean> {
    return settle(() => this.query(RELEASE_RUN_SQL).run(to, accountId, runId, ownerId).changes > 0);
  }

  async close(): Promise<void> {
    await this.writer.close();
    if (this.db.open) this.db.close();
  }
}

/**
 * Opens (creating and migrating if needed) a SQLite event store.
 *
 * @example
 * import { openSqliteStore } from "runtrail/sqlite";
 * const store = await openSqliteStore({ path: "./runtrail.db" });
 */
export async function openSqliteStore(options: SqliteStoreOptions = {}): Promise<EventStore> {
  const path = options.path ?? "./runtrail.db";
  const db = options.database ?? (await openDatabase(path));
  const synchronous = options.synchronous === "full" ? "FULL" : "NORMAL";
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous}`);
  migrateSqlite(db);
  const inMemory = path === ":memory:" || path === "" || path.startsWith("file::memory:");
  const threaded = options.database === undefined && !inMemory && options.writeThread !== false;
  try {
    return new SqliteStore(db, threaded ? await threadWriter(path, synchronous) : inThreadWriter(db));
  } catch (error) {
    db.close();
    throw error;
  }
}
