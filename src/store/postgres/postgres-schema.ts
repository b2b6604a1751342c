/**
 * The PostgreSQL schema, versioned in `runtrail_schema_version`: on start, missing migrations run
 * in order inside one transaction that holds an advisory lock, so concurrent starts migrate once.
 */
import type { PgQueryable } from "./postgres-driver.js";

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     cursor BIGSERIAL PRIMARY KEY,
     run_id TEXT NOT NULL,
     seq BIGINT NOT NULL,
     account_id TEXT NOT NULL,
     type TEXT NOT NULL,
     step_id TEXT,
     ts DOUBLE PRECISION NOT NULL,
     body JSONB NOT NULL,
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
     status_seq BIGINT NOT NULL,
     started_at DOUBLE PRECISION NOT NULL,
     last_event_at DOUBLE PRECISION NOT NULL,
     ended_at DOUBLE PRECISION,
     duration_ms DOUBLE PRECISION,
     last_seq BIGINT NOT NULL,
     event_count BIGINT NOT NULL,
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
     status_seq BIGINT NOT NULL,
     attempts INTEGER NOT NULL,
     started_at DOUBLE PRECISION,
     ended_at DOUBLE PRECISION,
     duration_ms DOUBLE PRECISION,
     total_duration_ms DOUBLE PRECISION NOT NULL,
     failures INTEGER NOT NULL,
     error TEXT,
     PRIMARY KEY (run_id, step_id, path)
   );
   CREATE INDEX steps_account_step ON steps (account_id, step_id);`,
  // Every batch rewrites the row of each step it touches. With room left on the page the new
  // version is a HOT update (no index insert, pruned in place): about 30% less upsert time in the
  // store bench.
  `ALTER TABLE steps SET (fillfactor = 50);`,
  // Likewise for runs, whose row every batch rewrites too. Their upsert moves last_event_at, which
  // was indexed for retention only, so it was never HOT: retention now scans the account's runs by
  // runs_account_started (a periodic sweep), and the per-batch upsert becomes HOT.
  `DROP INDEX runs_account_activity;
   ALTER TABLE runs SET (fillfactor = 50);`,
  // A run id is unique within its account, not across accounts: two accounts' runs of one id are
  // two runs (before, the second one's events were refused, and the writer retried them for ever).
  `ALTER TABLE events DROP CONSTRAINT events_run_id_seq_key;
   ALTER TABLE events ADD CONSTRAINT events_account_run_seq_key UNIQUE (account_id, run_id, seq);
   ALTER TABLE runs DROP CONSTRAINT runs_pkey;
   ALTER TABLE runs ADD PRIMARY KEY (account_id, run_id);
   ALTER TABLE steps DROP CONSTRAINT steps_pkey;
   ALTER TABLE steps ADD PRIMARY KEY (account_id, run_id, step_id, path);`,
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
     acquired_at DOUBLE PRECISION NOT NULL,
     renewed_at DOUBLE PRECISION NOT NULL,
     expires_at DOUBLE PRECISION NOT NULL
   );
   ALTER TABLE runs ADD COLUMN lease_owner TEXT;
   CREATE INDEX runs_lease_open ON runs (lease_owner) WHERE status IN ('running', 'suspended');`,
  // Account streams page by cursor within an account: without this index each 500-event page was
  // a bitmap scan of the account's rows and a sort of all of them.
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
  `ALTER TABLE runs ADD COLUMN wake_at DOUBLE PRECISION;
   CREATE INDEX runs_wake ON runs (wake_at) WHERE status = 'suspended' AND wake_at IS NOT NULL;
   ALTER TABLE leases ADD COLUMN recovers TEXT;`,
];
/** The schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Creates `schema` if needed and brings it to {@link POSTGRES_SCHEMA_VERSION} (or to `target`,
 * which tests use to build an older store); refuses a newer one.
 */
export async function migratePostgres(client: PgQueryable, schema: string, target = MIGRATIONS.length): Promise<void> {
  await client.query("BEGIN");
  try {
    // The lock first: two processes starting at once on a new schema would otherwise race in
    // CREATE SCHEMA IF NOT EXISTS, and one fail on pg_namespace's unique index.
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`runtrail-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS runtrail_schema_version (
      version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number | null }>("SELECT MAX(version) AS version FROM runtrail_schema_version");
    const current = rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(`the PostgreSQL store is at schema version ${current}, newer than this runtrail (${MIGRATIONS.length}); upgrade runtrail`);
    }
    for (let version = current; version < target; version++) {
      await client.query(MIGRATIONS[version]!);
      await client.query("INSERT INTO runtrail_schema_version (version) VALUES ($1)", [version + 1]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** A schema name as an SQL identifier; only plain names are accepted, so nothing needs escaping. */
export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new RangeError(`invalid schema name "${name}"`);
  return `"${name}"`;
}
