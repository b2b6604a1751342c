/**
 * The PostgreSQL event store: for many processes and large volumes. The schema is created or
 * migrated on start; every connection's `search_path` is the store's schema.
 */
import { dollarParams, findEventsSql, listRunsSql, pageLimit, readRunSql, stepDurationsSql, stepFailuresSql } from "../store-sql.js";
import { runPageToken, stepTuple, toPage, toRunRecord, toStepColumns, toStepRecord, toStoredEvent, type EventRow, type RunRow, type StepRow } from "../store-rows.js";
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
  toDollar,
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
import { createDriver, type PgDriver, type PgPool, type PgPoolClient, type PgQueryable } from "./postgres-driver.js";
import {
  DELETE_EVENTS_SQL,
  DELETE_RUNS_SQL,
  DELETE_STEPS_SQL,
  GET_RUN_SQL,
  GET_STEP_SQL,
  LIST_STEP_COLUMNS_SQL,
  READ_STEP_EVENTS_SQL,
  BEGIN_WRITE_SQL,
  COPY_EVENTS_SQL,
  copyRow,
  HAS_EVENT_SQL,
  LAST_SEQ_SQL,
  LIST_STEPS_SQL,
  MERGE_PROJECTIONS_SQL,
  POSTGRES_BUCKET_START,
} from "./postgres-queries.js";
import { checkSeriesOptions, stepSeriesSql, toStepSeries, type StepSeriesRow } from "../store-series-sql.js";
import { migratePostgres, quoteIdent } from "./postgres-schema.js";

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** e.g. `postgres://user@host:5432/db`. */
  connectionString: string;
  /** The schema that holds the store's tables, created if missing. Default `runtrail`. */
  schema?: string;
  /** Most connections. Default 4. */
  poolSize?: number;
  /** Shown in `pg_stat_activity`. Default `runtrail`. */
  applicationName?: string;
  /** Called when an idle connection fails (the pool replaces it). Default: ignored. */
  onConnectionError?: (error: Error) => void;
}

/** The database's clock in epoch ms: every process sharing the store agrees on lease expiry by it. */
const DB_NOW_SQL = "SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS now";

type Stat = { step_id: string; count: string | number; avg_ms: number; p95_ms: number };
type FailureStat = { step_id: string; failures: string | number; runs_failed: string | number };

class PostgresStore implements EventStore {
  readonly kind = "postgres";

  private writer: PgPoolClient | undefined;
  private appending: Promise<unknown> = Promise.resolve();

  private readonly pool: PgPool;

  constructor(private readonly driver: PgDriver) {
    this.pool = driver.pool;
  }

  /**
   * Appends run one at a time on the kept write connection: a store may serve several writers,
   * and their batches are serialised by the database's write lock anyway.
   */
  append(batch: AppendBatch): Promise<AppendResult> {
    const result = this.appending.then(() => this.appendNow(batch));
    this.appending = result.catch(() => undefined);
    return result;
  }

  private async appendNow(batch: AppendBatch): Promise<AppendResult> {
    const last = batch.events.at(-1);
    if (last === undefined) return { cursors: [] };
    const client = await this.writeClient();
    try {
      await client.query(BEGIN_WRITE_SQL);
      // A batch commits whole or not at all, so after a lost COMMIT its last event says which.
      if (batch.maybeStored === true) {
        const found = await client.query(HAS_EVENT_SQL, [last.event.accountId, last.event.runId, last.event.seq]);
        if (found.rows.length > 0) {
          await client.query("COMMIT");
          return {};
        }
      }
      await this.copyEvents(client, batch.events);
      const merged = await client.query<{ last: string }>(MERGE_PROJECTIONS_SQL, [JSON.stringify(batch.runs), JSON.stringify(batch.steps)]);
      await client.query("COMMIT");
      const first = Number(merged.rows[0]!.last) - batch.events.length + 1;
      return { cursors: batch.events.map((_, i) => first + i) };
    } catch (error) {
      // The connection may be dead or mid-transaction: discard it; the next batch opens another.
      this.writer = undefined;
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  /** Streams the events in with COPY, in batch order (which is the order their cursors are drawn in). */
  private copyEvents(client: PgPoolClient, events: AppendBatch["events"]): Promise<void> {
    let rows = "";
    for (const event of events) rows += copyRow(event);
    return new Promise((resolve, reject) => {
      const stream = this.driver.copyFrom(client, COPY_EVENTS_SQL);
      stream.on("error", reject);
      stream.on("finish", () => resolve());
      stream.end(rows);
    });
  }

  /**
   * The connection batches are written on, kept between batches: the writer sends one batch at a
   * time, and taking a connection from the pool per batch cost about a tenth of the write time.
   */
  private async writeClient(): Promise<PgPoolClient> {
    if (this.writer !== undefined) return this.writer;
    const client = await this.pool.connect();
    // A connection killed between queries emits 'error'; without a listener that would crash the
    // process. The failing query rejects anyway, which is what append acts on.
    client.on("error", () => undefined);
    this.writer = client;
    return client;
  }

  async readRun(accountId: string, runId: string, options: ReadRunOptions = {}): Promise<Page<StoredEvent, number>> {
    const limit = pageLimit(options.limit, 500);
    const p = dollarParams();
    const sql = readRunSql(p, accountId, runId, options.after ?? 0, limit);
    const { rows } = await this.pool.query<EventRow>(sql, p.values);
    return toPage(rows, limit, (row) => toStoredEvent(row, `postgres events cursor ${String(row.cursor)}`), (item) => item.event.seq);
  }

  async findEvents(accountId: string, options: FindEventsOptions = {}): Promise<Page<StoredEvent, number>> {
    const limit = pageLimit(options.limit, 500);
    const p = dollarParams();
    const { rows } = await this.pool.query<EventRow>(findEventsSql(p, accountId, options, limit), p.values);
    return toPage(rows, limit, (row) => toStoredEvent(row, `postgres events cursor ${String(row.cursor)}`), (item) => item.cursor);
  }

  async getRun(accountId: string, runId: string): Promise<RunRecord | undefined> {
    const { rows } = await this.pool.query<RunRow>(GET_RUN_SQL, [accountId, runId]);
    return rows[0] === undefined ? undefined : toRunRecord(rows[0]);
  }

  async listRuns(accountId: string, options: ListRunsOptions = {}): Promise<Page<RunRecord>> {
    const limit = pageLimit(options.limit, 100);
    const p = dollarParams();
    const { rows } = await this.pool.query<RunRow>(listRunsSql(p, accountId, options, limit), p.values);
    return toPage(rows, limit, toRunRecord, runPageToken);
  }

  async listSteps(accountId: string, runId: string): Promise<readonly StepRecord[]> {
    const { rows } = await this.pool.query<StepRow>(LIST_STEPS_SQL, [accountId, runId]);
    return rows.map(toStepRecord);
  }

  async listStepColumns(accountId: string, runId: string): Promise<StepColumns> {
    const { rows } = await this.pool.query<StepRow>(LIST_STEP_COLUMNS_SQL, [accountId, runId]);
    return toStepColumns(rows.map(stepTuple));
  }

  async getStep(accountId: string, runId: string, stepId: string, path: readonly number[]): Promise<StepRecord | undefined> {
    const { rows } = await this.pool.query<StepRow>(GET_STEP_SQL, [accountId, runId, stepId, JSON.stringify(path)]);
    return rows[0] === undefined ? undefined : toStepRecord(rows[0]);
  }

  async readStepEvents(accountId: string, runId: string, stepId: string, options: ReadStepEventsOptions = {}): Promise<Page<StoredEvent, number>> {
    const limit = pageLimit(options.limit, 500);
    const values = [accountId, runId, options.after ?? 0, stepId, JSON.stringify(options.path ?? []), limit + 1];
    const { rows } = await this.pool.query<EventRow>(READ_STEP_EVENTS_SQL, values);
    return toPage(rows, limit, (row) => toStoredEvent(row, `postgres events cursor ${String(row.cursor)}`), (item) => item.event.seq);
  }

  async stepDurations(accountId: string, options: AnalyticsOptions = {}): Promise<readonly StepDurationStat[]> {
    const p = dollarParams();
    const { rows } = await this.pool.query<Stat>(stepDurationsSql(p, accountId, options), p.values);
    return rows.map((row) => ({ stepId: row.step_id, count: Number(row.count), avgMs: Number(row.avg_ms), p95Ms: Number(row.p95_ms) }));
  }

  async stepFailures(accountId: string, options: AnalyticsOptions = {}): Promise<readonly StepFailureStat[]> {
    const p = dollarParams();
    const { rows } = await this.pool.query<FailureStat>(stepFailuresSql(p, accountId, options), p.values);
    return rows.map((row) => ({ stepId: row.step_id, failures: Number(row.failures), runsFailed: Number(row.runs_failed) }));
  }

  async stepSeries(accountId: string, options: StepSeriesOptions): Promise<readonly StepSeries[]> {
    checkSeriesOptions(options);
    const p = dollarParams();
    const { rows } = await this.pool.query<StepSeriesRow>(stepSeriesSql(p, accountId, options, POSTGRES_BUCKET_START), p.values);
    return toStepSeries(rows);
  }

  deleteRunsBefore(accountId: string, before: number): Promise<RetentionResult> {
    return this.transaction(async (client) => {
      const events = await client.query(DELETE_EVENTS_SQL, [accountId, before]);
      await client.query(DELETE_STEPS_SQL, [accountId, before]);
      const runs = await client.query(DELETE_RUNS_SQL, [accountId, before]);
      return { runs: runs.rowCount ?? 0, events: events.rowCount ?? 0 };
    });
  }

  async lastSeq(accountId: string, runId: string): Promise<number> {
    const { rows } = await this.pool.query<{ seq: string | null }>(LAST_SEQ_SQL, [runId, accountId]);
    return Number(rows[0]?.seq ?? 0);
  }

  renewLease(ownerId: string, holder: string, ttlMs: number, recovers?: readonly { readonly name: string; readonly version?: string | undefined }[]): Promise<LeaseRenewal> {
    return this.transaction(async (client) => {
      const now = await this.now(client);
      // FOR UPDATE: a sweep deciding on this lease's runs meanwhile sees either the old or the new expiry.
      const before = await client.query<{ expires_at: number }>(`${toDollar(LEASE_EXPIRY_SQL)} FOR UPDATE`, [ownerId]);
      const expiresAt = now + ttlMs;
      await client.query(toDollar(RENEW_LEASE_SQL), [ownerId, holder, now, now, expiresAt, recoversText(recovers)]);
      const old = before.rows[0];
      return { expiresAt, lapsed: old === undefined || Number(old.expires_at) < now };
    });
  }

  async releaseLease(ownerId: string): Promise<void> {
    await this.pool.query(toDollar(RELEASE_LEASE_SQL), [ownerId]);
  }

  async abandonedRuns(limit: number): Promise<readonly AbandonedRun[]> {
    const now = await this.now(this.pool);
    const { rows } = await this.pool.query<AbandonedRow>(toDollar(ABANDONED_RUNS_SQL), [now, pageLimit(limit, 100)]);
    return rows.map(toAbandonedRun);
  }

  async recoveringLeases(): Promise<readonly RecoveringLease[]> {
    const { rows } = await this.pool.query<{ owner_id: string; recovers: string }>(toDollar(RECOVERING_LEASES_SQL), [await this.now(this.pool)]);
    return toRecoveringLeases(rows);
  }

  async dueRuns(limit: number): Promise<readonly DueRun[]> {
    // The deadline is the emitting process's clock, the lease expiry the database's: each compared on its own.
    const { rows } = await this.pool.query<DueRow>(toDollar(DUE_RUNS_SQL), [Date.now(), await this.now(this.pool), pageLimit(limit, 100)]);
    return rows.map(toDueRun);
  }

  async dropExpiredLeases(): Promise<number> {
    const now = await this.now(this.pool);
    const { rowCount } = await this.pool.query(toDollar(DROP_EXPIRED_LEASES_SQL), [now]);
    return rowCount ?? 0;
  }

  claimRun(accountId: string, runId: string, ownerId: string): Promise<RunClaim> {
    return this.transaction(async (client) => {
      // FOR UPDATE: a second claimant waits here for the first to commit, then reads its owner.
      const { rows } = await client.query<ClaimRow>(`${toDollar(CLAIM_READ_SQL)} FOR UPDATE`, [accountId, runId]);
      const row = rows[0];
      // The leases are read after the lock, in a statement of their own: under READ COMMITTED
      // it sees every lease committed before the lock was granted (the winner's among them).
      const owners = [row?.lease_owner, ownerId].filter((owner): owner is string => owner != null);
      const leases = await client.query<{ owner_id: string; expires_at: number }>("SELECT owner_id, expires_at FROM leases WHERE owner_id = ANY($1)", [owners]);
      const now = await this.now(client);
      const expiry = (owner: string | null | undefined): number | undefined => {
        const found = leases.rows.find((lease) => lease.owner_id === owner);
        return found === undefined ? undefined : Number(found.expires_at);
      };
      const claim = decideClaim(runId, ownerId, row, expiry(row?.lease_owner), expiry(ownerId), now);
      if (claim.claimed) await client.query(toDollar(CLAIM_RUN_SQL), [ownerId, accountId, runId]);
      return claim;
    });
  }

  async releaseRun(accountId: string, runId: string, ownerId: string, to: string | null): Promise<boolean> {
    const { rowCount } = await this.pool.query(toDollar(RELEASE_RUN_SQL), [to, accountId, runId, ownerId]);
    return (rowCount ?? 0) > 0;
  }

  private async now(on: PgQueryable): Promise<number> {
    const { rows } = await on.query<{ now: number }>(DB_NOW_SQL);
    return Number(rows[0]!.now);
  }

  close(): Promise<void> {
    this.writer?.release();
    this.writer = undefined;
    return this.pool.end();
  }

  private async transaction<T>(fn: (client: PgPoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection killed between queries emits 'error' on the client; without a listener that
    // would crash the process. The failing query rejects anyway, which is what we act on.
    const ignore = (): void => undefined;
    client.on("error", ignore);
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      // A killed connection's 'error' can come after its query has rejected: a discarded client
      // keeps the listener, or that late event would be an uncaught exception.
      if (broken === undefined) client.off("error", ignore);
      // Discard the connection after any failure: it may be dead or mid-transaction.
      client.release(broken ?? false);
    }
  }
}

/**
 * Opens a PostgreSQL event store, creating or migrating its schema.
 *
 * @example
 * import { openPostgresStore } from "runtrail/postgres";
 * const store = await openPostgresStore({ connectionString: process.env.DATABASE_URL! });
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<EventStore> {
  const schema = options.schema ?? "runtrail";
  const driver = await createDriver({
    connectionString: options.connectionString,
    max: options.poolSize ?? 4,
    options: `-c search_path=${quoteIdent(schema)}`,
    application_name: options.applicationName ?? "runtrail",
    connectionTimeoutMillis: 10_000,
  });
  const pool = driver.pool;
  pool.on("error", options.onConnectionError ?? (() => undefined));
  const client = await pool.connect().catch(async (error: unknown) => {
    await pool.end().catch(() => undefined);
    throw error;
  });
  try {
    await migratePostgres(client, schema);
    client.release();
  } catch (error) {
    client.release(true);
    await pool.end().catch(() => undefined);
    throw error;
  }
  return new PostgresStore(driver);
}
