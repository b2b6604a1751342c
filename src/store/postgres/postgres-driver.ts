/**
 * The slice of `pg` the PostgreSQL store uses. Declared here rather than imported, so the driver
 * stays an optional peer dependency and any compatible pool can be passed in.
 */

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

/** Loads `pg` on first use, with a message that says what to install when it is missing. */
export async function createPool(config: PgPoolConfig): Promise<PgPool> {
  let Pool: PoolConstructor;
  try {
    const module = (await import("pg")) as unknown as { default: { Pool: PoolConstructor } };
    Pool = module.default.Pool;
  } catch (error) {
    throw new Error('runtrail/postgres needs the "pg" package: npm install pg', { cause: error });
  }
  return new Pool(config);
}
