/**
 * @module runtrail/sqlite
 * The SQLite event store (better-sqlite3, WAL): Runtrail's default store, one file on disk. Its
 * writes run on a thread of their own (`sqlite-thread-client.ts` talks to it).
 */
export { openSqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
export type { SqliteDatabase, SqliteRunResult, SqliteStatement } from "./sqlite-driver.js";
export { SQLITE_SCHEMA_VERSION } from "./sqlite-schema.js";
export * from "../index.js";
