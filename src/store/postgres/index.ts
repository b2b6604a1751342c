/**
 * @module runtrail/postgres
 * The PostgreSQL event store (`pg`): many processes, large volumes, a migrated schema; and
 * `postgresCommitSignal`, cross-process wake-ups over LISTEN/NOTIFY behind the store's
 * commit-signal contract.
 */
export { openPostgresStore, type PostgresStoreOptions } from "./postgres-store.js";
export type { PgPool, PgPoolClient, PgQueryable, PgResult } from "./postgres-driver.js";
export { POSTGRES_SCHEMA_VERSION } from "./postgres-schema.js";
export { postgresCommitSignal, type PostgresSignalOptions } from "./postgres-signal.js";
export * from "../index.js";
