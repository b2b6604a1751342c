/**
 * The SQLite event store: one file, WAL mode, created on first use. The default store.
 */
import { questionParams, findEventsSql, listRunsSql, pageLimit, readRunSql, stepDurationsSql, stepFailuresSql } from "../store-sql.js";
import { runPageToken, toPage, toRunRecord, toStepRecord, toStoredEvent, type EventRow, type RunRow, type StepRow } from "../store-rows.js";
import type {
  AnalyticsOptions,
  AppendBatch,
  AppendResult,
  EventStore,
  FindEventsOptions,
  ListRunsOptions,
  Page,
  ReadRunOptions,
  RetentionResult,
  RunRecord,
  StepDurationStat,
  StepFailureStat,
  StepRecord,
  StoredEvent,
} from "../store-types.js";
import { openDatabase, type SqliteDatabase, type SqliteStatement } from "./sqlite-driver.js";
import { prepareStatements, upsertRun, upsertStep, type SqliteStatements } from "./sqlite-queries.js";
import { migrateSqlite } from "./sqlite-schema.js";

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
}

class SqliteStore implements EventStore {
  readonly kind = "sqlite";
  private readonly statements: SqliteStatements;
  private readonly appendTx: (batch: AppendBatch) => AppendResult;
  private readonly deleteTx: (accountId: string, before: number) => RetentionResult;
  /**
   * Query statements by SQL text. Queries are built per call but come in few shapes (values are
   * bound, not inlined), and preparing one cost more than reading a page with it.
   */
  private readonly queries = new Map<string, SqliteStatement>();

  constructor(private readonly db: SqliteDatabase) {
    this.statements = prepareStatements(db);
    const s = this.statements;
    this.appendTx = db.transaction((batch: AppendBatch): AppendResult => {
      const last = batch.events.at(-1);
      if (last === undefined) return { cursors: [] };
      // A batch commits whole or not at all, so its last event tells whether it is already stored.
      if (batch.maybeStored === true && s.hasEvent.get(last.event.runId, last.event.seq) !== undefined) return {};
      const cursors = new Array<number>(batch.events.length);
      for (let i = 0; i < batch.events.length; i++) {
        const { event, body, truncated } = batch.events[i]!;
        const row = s.insertEvent.run(event.runId, event.seq, event.accountId, event.type, event.stepId ?? null, event.ts, body, truncated);
        cursors[i] = Number(row.lastInsertRowid);
      }
      for (const run of batch.runs) upsertRun(s.upsertRun, run);
      for (const step of batch.steps) upsertStep(s.upsertStep, step);
      return { cursors };
    });
    this.deleteTx = db.transaction((accountId: string, before: number): RetentionResult => {
      const events = s.deleteEvents.run(accountId, accountId, before).changes;
      s.deleteSteps.run(accountId, accountId, before);
      const runs = s.deleteRuns.run(accountId, before).changes;
      return { runs, events };
    });
  }

  append(batch: AppendBatch): Promise<AppendResult> {
    return this.attempt(() => this.appendTx(batch));
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
    return this.attempt(() => {
      const limit = pageLimit(options.limit, 500);
      const p = questionParams();
      const sql = readRunSql(p, accountId, runId, options.after ?? 0, limit);
      const rows = this.query(sql).all(...p.values) as EventRow[];
      return toPage(rows, limit, (row) => toStoredEvent(row, `sqlite events cursor ${String(row.cursor)}`), (item) => item.event.seq);
    });
  }

  findEvents(accountId: string, options: FindEventsOptions = {}): Promise<Page<StoredEvent, number>> {
    return this.attempt(() => {
      const limit = pageLimit(options.limit, 500);
      const p = questionParams();
      const rows = this.query(findEventsSql(p, accountId, options, limit)).all(...p.values) as EventRow[];
      return toPage(rows, limit, (row) => toStoredEvent(row, `sqlite events cursor ${String(row.cursor)}`), (item) => item.cursor);
    });
  }

  getRun(accountId: string, runId: string): Promise<RunRecord | undefined> {
    return this.attempt(() => {
      const row = this.statements.getRun.get(accountId, runId) as RunRow | undefined;
      return row === undefined ? undefined : toRunRecord(row);
    });
  }

  listRuns(accountId: string, options: ListRunsOptions = {}): Promise<Page<RunRecord>> {
    return this.attempt(() => {
      const limit = pageLimit(options.limit, 100);
      const p = questionParams();
      const rows = this.query(listRunsSql(p, accountId, options, limit)).all(...p.values) as RunRow[];
      return toPage(rows, limit, toRunRecord, runPageToken);
    });
  }

  listSteps(accountId: string, runId: string): Promise<readonly StepRecord[]> {
    return this.attempt(() => (this.statements.listSteps.all(accountId, runId) as StepRow[]).map(toStepRecord));
  }

  stepDurations(accountId: string, options: AnalyticsOptions = {}): Promise<readonly StepDurationStat[]> {
    return this.attempt(() => {
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
    return this.attempt(() => {
      const p = questionParams();
      const rows = this.query(stepFailuresSql(p, accountId, options)).all(...p.values) as {
        step_id: string;
        failures: number;
        runs_failed: number;
      }[];
      return rows.map((row) => ({ stepId: row.step_id, failures: row.failures, runsFailed: row.runs_failed }));
    });
  }

  deleteRunsBefore(accountId: string, before: number): Promise<RetentionResult> {
    return this.attempt(() => this.deleteTx(accountId, before));
  }

  lastSeq(accountId: string, runId: string): Promise<number> {
    return this.attempt(() => {
      const row = this.statements.lastSeq.get(runId, accountId) as { seq: number | null } | undefined;
      return row?.seq ?? 0;
    });
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  /** better-sqlite3 is synchronous; the interface is not, so errors become rejections. */
  private attempt<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error as Error);
    }
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
  const db = options.database ?? (await openDatabase(options.path ?? "./runtrail.db"));
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
  migrateSqlite(db);
  return new SqliteStore(db);
}
