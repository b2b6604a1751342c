/**
 * The slice of better-sqlite3 the SQLite store uses. Declared here rather than imported, so the
 * driver stays an optional peer dependency and any compatible binding can be passed in.
 */

export interface SqliteRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement {
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** better-sqlite3's: rows as arrays (column order) instead of objects. Optional for other bindings. */
  raw?(toggle?: boolean): SqliteStatement;
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<F extends (...args: never[]) => unknown>(fn: F): F;
  close(): unknown;
  readonly open: boolean;
}

type DatabaseConstructor = new (path: string, options?: { timeout?: number }) => SqliteDatabase;

/** Loads better-sqlite3 on first use, with a message that says what to install when it is missing. */
export async function openDatabase(path: string): Promise<SqliteDatabase> {
  let Database: DatabaseConstructor;
  try {
    const module = (await import("better-sqlite3")) as unknown as { default: DatabaseConstructor };
    Database = module.default;
  } catch (error) {
    throw new Error('runtrail/sqlite needs the "better-sqlite3" package: npm install better-sqlite3', { cause: error });
  }
  return new Database(path, { timeout: 5_000 });
}
