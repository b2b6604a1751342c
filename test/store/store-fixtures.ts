/**
 * The stores the conformance suite runs against, each opened fresh per test (a temporary SQLite
 * file; a PostgreSQL schema of its own, dropped afterwards). `RUNTRAIL_STORES=sqlite,postgres`
 * narrows the list.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { EventStore } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";

export const PG_URL = process.env.RUNTRAIL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const PG_HINT =
  "PostgreSQL is not reachable at 127.0.0.1:5432 (database `test`). Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

/** A store opened for one test, and how to dispose of it. */
export interface OpenedStore {
  readonly store: EventStore;
  /** Opens the same database again (another process's view, or after a restart). */
  reopen(): Promise<EventStore>;
  dispose(): Promise<void>;
}

export interface StoreFactory {
  /** `sqlite`, `postgres`, or a variant of one (`sqlite, writes on the caller's thread`). */
  readonly name: string;
  open(): Promise<OpenedStore>;
}

/** A SQLite file store; `writeThread` false keeps its writes on the caller's thread. */
const sqliteFactory = (name: string, writeThread: boolean): StoreFactory => ({
  name,
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "runtrail-store-"));
    const path = join(dir, "runtrail.db");
    const opened: EventStore[] = [await openSqliteStore({ path, writeThread })];
    return {
      store: opened[0]!,
      async reopen() {
        const store = await openSqliteStore({ path, writeThread });
        opened.push(store);
        return store;
      },
      async dispose() {
        for (const store of opened) await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

const sqlite = sqliteFactory("sqlite", true);

/** A fresh schema name: each test writes into its own. */
export const testSchema = (): string => `rt_test_${Math.random().toString(36).slice(2, 10)}`;

/** Fails with the start command when PostgreSQL is down, rather than skipping. */
export async function pgAdmin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`${PG_HINT} (${error instanceof Error ? error.message : String(error)})`);
  }
  return client;
}

const postgres: StoreFactory = {
  name: "postgres",
  async open() {
    const admin = await pgAdmin();
    const schema = testSchema();
    const opened: EventStore[] = [await openPostgresStore({ connectionString: PG_URL, schema })];
    return {
      store: opened[0]!,
      async reopen() {
        const store = await openPostgresStore({ connectionString: PG_URL, schema });
        opened.push(store);
        return store;
      },
      async dispose() {
        for (const store of opened) await store.close();
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      },
    };
  },
};

const wanted = (process.env.RUNTRAIL_STORES ?? "sqlite,postgres").split(",").map((name) => name.trim());

/** The stores under test, narrowed by `RUNTRAIL_STORES`. */
export const STORES: readonly StoreFactory[] = [sqlite, postgres].filter((factory) => wanted.includes(factory.name));

/**
 * The stores the conformance and writer suites run against: {@link STORES}, plus SQLite writing
 * on the caller's thread (what `:memory:` and a caller-owned database use), so both write paths
 * of the SQLite store meet the same contract.
 */
export const CONFORMANCE_STORES: readonly StoreFactory[] = wanted.includes("sqlite")
  ? [...STORES, sqliteFactory("sqlite, writes on the caller's thread", false)]
  : STORES;
