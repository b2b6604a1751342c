/**
 * `runtrail serve`: the API and live streams over a store that other processes write. Streams
 * re-read the store every `--poll` ms (and on PostgreSQL NOTIFY, when the writers send it).
 */
import { Command } from "commander";
import { DEFAULT_TOKEN_FILE } from "./token-command.js";

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
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "port", "8080")
    .option("--tokens <path>", "token file (absent file: open mode, loopback only)", DEFAULT_TOKEN_FILE)
    .option("--poll <ms>", "re-read interval of live streams", "500")
    .action(async (options: { db: string; postgres?: string; host: string; port: string; tokens: string; poll: string }) => {
      const { existsSync } = await import("node:fs");
      const { createServer, createFileTokenStore, postgresCommitSignal } = await import("../server/index.js");
      const store =
        options.postgres === undefined
          ? await (await import("../store/sqlite/index.js")).openSqliteStore({ path: options.db })
          : await (await import("../store/postgres/index.js")).openPostgresStore({ connectionString: options.postgres });
      const server = await createServer({
        store,
        pollIntervalMs: Number(options.poll),
        ...(existsSync(options.tokens) ? { tokens: createFileTokenStore(options.tokens) } : {}),
        ...(options.postgres === undefined ? {} : { signals: [(hub) => postgresCommitSignal({ connectionString: options.postgres! }, hub)] }),
      });
      const url = await server.listen({ host: options.host, port: Number(options.port) });
      console.log(`[runtrail] serving ${url}/api (OpenAPI: ${url}/api/openapi.json)`);
      const stop = (): void => {
        void server.close().then(() => store.close()).then(() => process.exit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
