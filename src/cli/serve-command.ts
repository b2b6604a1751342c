/**
 * `runtrail serve`: the API and live streams over a store that other processes write. Streams
 * re-read the store every `--poll` ms (and on PostgreSQL NOTIFY, when the writers send it).
 * SIGINT or SIGTERM closes the server and the store, then exits 0.
 */
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_TOKEN_FILE } from "./token-command.js";

/** A commander parser for an integer option within bounds. */
function integerIn(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}.`);
    return n;
  };
}

interface ServeOptions {
  readonly db: string;
  readonly postgres?: string;
  readonly host: string;
  readonly port: number;
  readonly tokens: string;
  readonly poll: number;
}

/**
 * The `serve` command.
 *
 * @example
 * await serveCommand().parseAsync(["--db", "./runtrail.db", "--port", "8080"], { from: "user" });
 */
export function serveCommand(): Command {
  return new Command("serve")
    .description("serve the HTTP API, SSE and WebSocket streams over a store")
    .option("--db <path>", "SQLite database file", "./runtrail.db")
    .option("--postgres <url>", "PostgreSQL connection string (instead of --db)")
    .option("--host <host>", "interface to listen on (other than loopback only with a token file)", "127.0.0.1")
    .option("--port <port>", "port (0: any free port)", integerIn(0, 65_535, "the port"), 8080)
    .option("--tokens <path>", "token file (absent file: open mode, loopback only)", DEFAULT_TOKEN_FILE)
    .option("--poll <ms>", "re-read interval of live streams (0: off, PostgreSQL NOTIFY only)", integerIn(0, 3_600_000, "the poll interval"), 500)
    .action(serve);
}

async function serve(options: ServeOptions): Promise<void> {
  const { existsSync } = await import("node:fs");
  const { createServer, createFileTokenStore, postgresCommitSignal } = await import("../server/index.js");
  const { postgres } = options;
  const store =
    postgres === undefined
      ? await (await import("../store/sqlite/index.js")).openSqliteStore({ path: options.db })
      : await (await import("../store/postgres/index.js")).openPostgresStore({ connectionString: postgres });
  let server: Awaited<ReturnType<typeof createServer>> | undefined;
  let url: string;
  try {
    server = await createServer({
      store,
      auth: existsSync(options.tokens) ? { tokens: createFileTokenStore(options.tokens) } : {},
      live: {
        pollIntervalMs: options.poll,
        ...(postgres === undefined ? {} : { signals: [(hub) => postgresCommitSignal({ connectionString: postgres }, hub)] }),
      },
    });
    url = await server.listen({ host: options.host, port: options.port });
  } catch (error) {
    // A refused bind (no tokens, port taken) must not leave the database open behind the error.
    await server?.close();
    await store.close();
    throw error;
  }
  // For 0.0.0.0 Fastify returns a loopback URL: say what is really bound, so an exposed server shows.
  const { hostname, port } = new URL(url);
  const bound = hostname === options.host ? "" : ` on ${options.host} port ${port}`;
  console.log(`[runtrail] serving ${url}/api${bound} (OpenAPI: ${url}/api/openapi.json)`);
  const running = server;
  // server.close() ends open streams (their clients resume elsewhere from their cursor).
  const stop = (): void => {
    running
      .close()
      .then(() => store.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`[runtrail] shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
