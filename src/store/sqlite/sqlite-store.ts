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
import { prepareStatements, type SqliteStatements } from "./sqlite-queries.js";
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

  deleteRunsBefore(accountId: string, before: number): Promise<RetentionResult> {
    return this.writer.deleteRunsBefore(accountId, before);
  }

  lastSeq(accountId: string, runId: string): Promise<number> {
    return settle(() => {
      const row = this.statements.lastSeq.get(runId, accountId) as { seq: number | null } | undefined;
      return row?.seq ?? 0;
    });
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
