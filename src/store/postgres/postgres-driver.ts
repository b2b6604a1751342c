/**
 * The slice of `pg` the PostgreSQL store uses. Declared here rather than imported, so the driver
 * stays an optional peer dependency and any compatible pool can be passed in.
 */
import type { Writable } from "node:stream";

export interface PgResult<R> {
  rows: R[];
  rowCount: number | null;
}

export interface PgQueryable {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>>;
}

export interface PgPoolClient extends PgQueryable {
  /** Returns the client to the pool; with an error, the pool discards the connection. */
  release(error?: Error | boolean): void;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** Options passed to `new pg.Pool`. */
export interface PgPoolConfig {
  connectionString: string;
  max?: number;
  options?: string;
  application_name?: string;
  connectionTimeoutMillis?: number;
}

type PoolConstructor = new (config: PgPoolConfig) => PgPool;

/** A `COPY … FROM STDIN` in progress (`pg-copy-streams`): write the rows, end it, and it finishes once the server has them. */
export type CopyFromStream = Writable;

/** What the store needs of the drivers. */
export interface PgDriver {
  readonly pool: PgPool;
  /** Runs `sql` (a `COPY … FROM STDIN`) on `client` and returns the stream its rows go to. */
  copyFrom(client: PgPoolClient, sql: string): CopyFromStream;
}

const INSTALL = 'runtrail/postgres needs the "pg" and "pg-copy-streams" packages: npm install pg pg-copy-streams';

/** Loads `pg` and `pg-copy-streams` on first use, with a message that says what to install when one is missing. */
export async function createDriver(config: PgPoolConfig): Promise<PgDriver> {
  let Pool: PoolConstructor;
  let from: (sql: string) => CopyFromStream;
  try {
    Pool = ((await import("pg")) as unknown as { default: { Pool: PoolConstructor } }).default.Pool;
    from = ((await import("pg-copy-streams")) as unknown as { from: (sql: string) => CopyFromStream }).from;
  } catch (error) {
    throw new Error(INSTALL, { cause: error });
  }
  return {
    pool: new Pool(config),
    // pg runs a copy stream given to `query` (a "submittable") and hands the same stream back.
    copyFrom: (client, sql) => (client as unknown as { query(stream: CopyFromStream): CopyFromStream }).query(from(sql)),
  };
}
