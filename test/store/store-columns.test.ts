/**
 * The SQLite and PostgreSQL schemas are written by hand, once per dialect, as migrations (which
 * must never be regenerated). What keeps them from drifting: both, migrated to their latest
 * version, hold the same tables with the same columns in the same order, the same nullability,
 * the same kind of value and the same keys. The differences that are meant are listed here.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { migratePostgres } from "../../src/store/postgres/postgres-schema.js";
import { migrateSqlite } from "../../src/store/sqlite/sqlite-schema.js";
import type { SqliteDatabase } from "../../src/store/sqlite/sqlite-driver.js";
import { PG_URL, pgAdmin, testSchema } from "./store-fixtures.js";

const TABLES = ["events", "runs", "steps", "leases"] as const;

/** A column as both dialects can say it: its kind of value, not the dialect's type name. */
interface Column {
  readonly name: string;
  readonly kind: "text" | "integer" | "real" | "json";
  readonly notNull: boolean;
}
interface Table {
  readonly columns: readonly Column[];
  readonly primaryKey: readonly string[];
}

/** Meant differences: PostgreSQL stores the body as jsonb (queried in SQL), SQLite as its text. */
const MEANT: Readonly<Record<string, Column["kind"]>> = { "events.body": "text" };

const SQLITE_KIND: Readonly<Record<string, Column["kind"]>> = { TEXT: "text", INTEGER: "integer", REAL: "real" };
const PG_KIND: Readonly<Record<string, Column["kind"]>> = { text: "text", bigint: "integer", integer: "integer", "double precision": "real", jsonb: "json" };

function kindOf(map: Readonly<Record<string, Column["kind"]>>, type: string, where: string): Column["kind"] {
  const kind = map[type];
  if (kind === undefined) throw new Error(`${where}: no kind for the column type "${type}"; add it to this test`);
  return kind;
}

function sqliteTables(): Record<string, Table> {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-columns-"));
  const db = new Database(join(dir, "c.db"));
  try {
    migrateSqlite(db as unknown as SqliteDatabase);
    const out: Record<string, Table> = {};
    for (const table of TABLES) {
      const rows = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; type: string; notnull: number; pk: number }[];
      out[table] = {
        // An INTEGER PRIMARY KEY is the rowid: never null, though SQLite does not flag it.
        columns: rows.map((row) => ({ name: row.name, kind: kindOf(SQLITE_KIND, row.type, `sqlite ${table}.${row.name}`), notNull: row.notnull === 1 || row.pk > 0 })),
        primaryKey: rows.filter((row) => row.pk > 0).sort((a, b) => a.pk - b.pk).map((row) => row.name),
      };
    }
    return out;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresTables(): Promise<Record<string, Table>> {
  const admin = await pgAdmin();
  const schema = testSchema();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    await migratePostgres(client, schema);
    const out: Record<string, Table> = {};
    for (const table of TABLES) {
      const { rows } = await client.query<{ column_name: string; data_type: string; is_nullable: string }>(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        [schema, table],
      );
      const keys = await client.query<{ name: string }>(
        `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
         WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        [`${schema}.${table}`],
      );
      out[table] = {
        columns: rows.map((row) => {
          const kind = kindOf(PG_KIND, row.data_type, `postgres ${table}.${row.column_name}`);
          return { name: row.column_name, kind: MEANT[`${table}.${row.column_name}`] !== undefined && kind === "json" ? MEANT[`${table}.${row.column_name}`]! : kind, notNull: row.is_nullable === "NO" };
        }),
        primaryKey: keys.rows.map((row) => row.name),
      };
    }
    return out;
  } finally {
    await client.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

describe("the SQLite and PostgreSQL schemas agree", () => {
  it("same tables, columns in the same order, nullability, kinds of value and primary keys", async () => {
    const sqlite = sqliteTables();
    const postgres = await postgresTables();
    expect(Object.keys(sqlite)).toEqual([...TABLES]);
    for (const table of TABLES) expect(sqlite[table]!.columns.length, `${table} has columns`).toBeGreaterThan(0);
    expect(postgres).toEqual(sqlite);
  });
});
