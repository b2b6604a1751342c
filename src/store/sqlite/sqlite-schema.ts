/**
 * The SQLite schema, versioned with `PRAGMA user_version`: each migration runs once, in order,
 * in one transaction with the version bump.
 */
import type { SqliteDatabase } from "./sqlite-driver.js";

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     cursor INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     account_id TEXT NOT NULL,
     type TEXT NOT NULL,
     step_id TEXT,
     ts REAL NOT NULL,
     body TEXT NOT NULL,
     truncated TEXT,
     UNIQUE (run_id, seq)
   );
   CREATE INDEX events_account_type_ts ON events (account_id, type, ts);
   CREATE TABLE runs (
     run_id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     workflow TEXT NOT NULL,
     workflow_version TEXT,
     parent_run_id TEXT,
     status TEXT NOT NULL,
     status_seq INTEGER NOT NULL,
     started_at REAL NOT NULL,
     last_event_at REAL NOT NULL,
     ended_at REAL,
     duration_ms REAL,
     last_seq INTEGER NOT NULL,
     event_count INTEGER NOT NULL,
     progress TEXT,
     error TEXT,
     steps_completed INTEGER NOT NULL,
     steps_failed INTEGER NOT NULL,
     steps_skipped INTEGER NOT NULL,
     retries INTEGER NOT NULL,
     issue_count INTEGER NOT NULL
   );
   CREATE INDEX runs_account_started ON runs (account_id, started_at, run_id);
   CREATE INDEX runs_account_status ON runs (account_id, status, started_at);
   CREATE INDEX runs_account_workflow ON runs (account_id, workflow, started_at);
   CREATE INDEX runs_account_activity ON runs (account_id, last_event_at);
   CREATE TABLE steps (
     run_id TEXT NOT NULL,
     step_id TEXT NOT NULL,
     path TEXT NOT NULL,
     account_id TEXT NOT NULL,
     status TEXT NOT NULL,
     status_seq INTEGER NOT NULL,
     attempts INTEGER NOT NULL,
     started_at REAL,
     ended_at REAL,
     duration_ms REAL,
     total_duration_ms REAL NOT NULL,
     failures INTEGER NOT NULL,
     error TEXT,
     PRIMARY KEY (run_id, step_id, path)
   );
   CREATE INDEX steps_account_step ON steps (account_id, step_id);`,
  // Every batch rewrites each active run's row, and last_event_at moves every time: its index,
  // used only by the retention sweep, cost an index update per run per batch. Retention scans the
  // account's runs by runs_account_started instead.
  `DROP INDEX runs_account_activity;`,
  // A run id is unique within its account, not across accounts: two accounts' runs of one id
  // are two runs (before, the second one's events were refused, and the writer retried them for
  // ever). SQLite cannot change a key in place, so each table is rebuilt; the events' cursor
  // sequence carries over, so a cursor is never reused.
  `CREATE TABLE events_v3 (
     cursor INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     account_id TEXT NOT NULL,
     type TEXT NOT NULL,
     step_id TEXT,
     ts REAL NOT NULL,
     body TEXT NOT NULL,
     truncated TEXT,
     UNIQUE (account_id, run_id, seq)
   );
   INSERT INTO events_v3 (cursor, run_id, seq, account_id, type, step_id, ts, body, truncated)
     SELECT cursor, run_id, seq, account_id, type, step_id, ts, body, truncated FROM events ORDER BY cursor;
   DELETE FROM sqlite_sequence WHERE name = 'events_v3';
   INSERT INTO sqlite_sequence (name, seq) SELECT 'events_v3', seq FROM sqlite_sequence WHERE name = 'events';
   DROP TABLE events;
   ALTER TABLE events_v3 RENAME TO events;
   CREATE INDEX events_account_type_ts ON events (account_id, type, ts);

   CREATE TABLE runs_v3 (
     run_id TEXT NOT NULL,
     account_id TEXT NOT NULL,
     workflow TEXT NOT NULL,
     workflow_version TEXT,
     parent_run_id TEXT,
     status TEXT NOT NULL,
     status_seq INTEGER NOT NULL,
     started_at REAL NOT NULL,
     last_event_at REAL NOT NULL,
     ended_at REAL,
     duration_ms REAL,
     last_seq INTEGER NOT NULL,
     event_count INTEGER NOT NULL,
     progress TEXT,
     error TEXT,
     steps_completed INTEGER NOT NULL,
     steps_failed INTEGER NOT NULL,
     steps_skipped INTEGER NOT NULL,
     retries INTEGER NOT NULL,
     issue_count INTEGER NOT NULL,
     PRIMARY KEY (account_id, run_id)
   );
   INSERT INTO runs_v3 SELECT run_id, account_id, workflow, workflow_version, parent_run_id, status, status_seq, started_at,
     last_event_at, ended_at, duration_ms, last_seq, event_count, progress, error, steps_completed, steps_failed, steps_skipped,
     retries, issue_count FROM runs;
   DROP TABLE runs;
   ALTER TABLE runs_v3 RENAME TO runs;
   CREATE INDEX runs_account_started ON runs (account_id, started_at, run_id);
   CREATE INDEX runs_account_status ON runs (account_id, status, started_at);
   CREATE INDEX runs_account_workflow ON runs (account_id, workflow, started_at);

   CREATE TABLE steps_v3 (
     run_id TEXT NOT NULL,
     step_id TEXT NOT NULL,
     path TEXT NOT NULL,
     account_id TEXT NOT NULL,
     status TEXT NOT NULL,
     status_seq INTEGER NOT NULL,
     attempts INTEGER NOT NULL,
     started_at REAL,
     ended_at REAL,
     duration_ms REAL,
     total_duration_ms REAL NOT NULL,
     failures INTEGER NOT NULL,
     error TEXT,
     PRIMARY KEY (account_id, run_id, step_id, path)
   );
   INSERT INTO steps_v3 SELECT run_id, step_id, path, account_id, status, status_seq, attempts, started_at, ended_at, duration_ms,
     total_duration_ms, failures, error FROM steps;
   DROP TABLE steps;
   ALTER TABLE steps_v3 RENAME TO steps;
   CREATE INDEX steps_account_step ON steps (account_id, step_id);`,
  // One status vocabulary (projections/run-status.ts): a started step is "running", as the API
  // and the run-state reducer say; rows written before said "started".
  `UPDATE steps SET status = 'running' WHERE status = 'started';`,
  // Run leases (store/lease): each process that executes runs renews a row here, and the writer
  // ties each run it stores to that row (runs.lease_owner, in the batch's own transaction). A run
  // that has not ended and whose lease expired lost its process: a sweep ends it. The partial
  // index holds only unfinished runs, so the sweep reads a handful of rows whatever the history.
  `CREATE TABLE leases (
     owner_id TEXT PRIMARY KEY,
     holder TEXT NOT NULL,
     acquired_at REAL NOT NULL,
     renewed_at REAL NOT NULL,
     expires_at REAL NOT NULL
   );
   ALTER TABLE runs ADD COLUMN lease_owner TEXT;
   CREATE INDEX runs_lease_open ON runs (lease_owner) WHERE status IN ('running', 'suspended');`,
  // Account streams page by cursor within an account: without this index the planner scans the
  // account's rows and sorts them all per page (PostgreSQL), or walks every cursor (SQLite).
  `CREATE INDEX events_account_cursor ON events (account_id, cursor);`,
  // What a suspended run waits for, and which parent step started a sub-workflow run: the
  // dashboard and `runtrail runs` show them from the row, and a parent's child runs are found by
  // their parent (the partial index holds sub-workflow runs only).
  `ALTER TABLE runs ADD COLUMN parent_step_id TEXT;
   ALTER TABLE runs ADD COLUMN suspension TEXT;
   CREATE INDEX runs_account_parent ON runs (account_id, parent_run_id, started_at) WHERE parent_run_id IS NOT NULL;`,
  // Waits that time out with no process holding the run (store/lease): runs.wake_at is the
  // deadline of the wait a suspended run waits on, so a lease holder's sweep finds the runs due
  // by a partial index of suspended runs alone, and resumes them for their timeout to fire.
  // leases.recovers names the workflows (name@version, JSON) each live process resumes after a
  // crash: a sweeper that has not got a run's workflow leaves the run for one that has.
  `ALTER TABLE runs ADD COLUMN wake_at REAL;
   CREATE INDEX runs_wake ON runs (wake_at) WHERE status = 'suspended' AND wake_at IS NOT NULL;
   ALTER TABLE leases ADD COLUMN recovers TEXT;`,
];
/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to {@link SQLITE_SCHEMA_VERSION} (or to `target`, which tests use to build
 * an older store); refuses a newer one.
 */
export function migrateSqlite(db: SqliteDatabase, target = MIGRATIONS.length): void {
  // IMMEDIATE takes the write lock first, so two processes opening a new file do not both migrate.
  db.exec("BEGIN IMMEDIATE");
  try {
    const current = db.pragma("user_version", { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(`the SQLite store is at schema version ${current}, newer than this runtrail (${MIGRATIONS.length}); upgrade runtrail`);
    }
    for (let version = current; version < target; version++) db.exec(MIGRATIONS[version]!);
    if (target > current) db.pragma(`user_version = ${target}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
