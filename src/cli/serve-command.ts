/**
 * `runtrail serve`: the API and live streams over a store that other processes write, and with
 * `--workflows DIR` the workflows `POST /api/workflows/:name/runs` starts (run in this process,
 * through its own store writer). Streams re-read the store every `--poll` ms (and on PostgreSQL
 * NOTIFY, when the writers send it). SIGINT or SIGTERM closes the server and the store, then
 * exits 0.
 */
import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { integerIn } from "./cli-input.js";
import { connectNats, natsOptions, type NatsFlags } from "./nats-flags.js";
import { openStore, storeOptions, type StoreFlags } from "./store-open.js";
import { DEFAULT_TOKEN_FILE } from "./token-command.js";
import type { FoundWorkflow } from "./workflow-dir.js";

interface ServeOptions extends StoreFlags, Partial<Omit<NatsFlags, "nats">> {
  readonly host: string;
  readonly port: number;
  /** The token file; undefined: open mode whatever files exist (the demo). */
  readonly tokens?: string;
  readonly poll: number;
  readonly workflows?: string;
  /** `--nats [url]`: streams also wake on the commits NATS collectors announce; `true` is the default URL. */
  readonly nats?: string | true;
  /** Fastify's log level (JSON lines on stdout); `silent` for none. Default `warn`. */
  readonly logLevel?: LogLevel;
}

/** The levels of Fastify's logger (pino), most severe first. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The `serve` command.
 *
 * @example
 * await serveCommand().parseAsync(["--db", "./runtrail.db", "--port", "8080", "--workflows", "./workflows"], { from: "user" });
 */
export function serveCommand(): Command {
  return natsOptions(storeOptions(new Command("serve").description("serve the HTTP API, SSE and WebSocket streams over a store"))
    .option("--host <host>", "interface to listen on (other than loopback only with a token file)", "127.0.0.1")
    .option("--port <port>", "port (0: any free port)", integerIn(0, 65_535, "the port"), 8080)
    .option("--tokens <path>", "token file (absent file: open mode, loopback only)", DEFAULT_TOKEN_FILE)
    .option("--poll <ms>", "re-read interval of live streams (0: off, PostgreSQL NOTIFY only)", integerIn(0, 3_600_000, "the poll interval"), 500)
    .option("--workflows <dir>", "register the workflows of this folder's files, so the API can start them")
    .addOption(new Option("--log-level <level>", "the server's log (JSON lines on stdout): requests at info, failures at error").choices(LOG_LEVELS).default("warn")), "optional")
    .addHelpText(
      "after",
      "\n--account is the account of open mode (no token file); with tokens, each token names its account.\n\nExamples:\n  $ runtrail serve\n  $ runtrail serve --workflows ./examples --port 0 --log-level info\n  $ runtrail serve --postgres postgres://localhost/runtrail --host 0.0.0.0 --tokens ./tokens.json\n  $ runtrail serve --postgres postgres://localhost/runtrail --nats   # runs that NATS workers publish and collectors store",
    )
    .action(serve);
}

/**
 * Starts the server the flags describe and prints its URLs; resolves once it listens. The
 * returned function closes it (the store too).
 *
 * @example
 * const { url, close } = await startServer({ db: "./runtrail.db", account: "default", host: "127.0.0.1", port: 0, tokens: "none", poll: 500 });
 */
export async function startServer(options: ServeOptions, extra: { readonly found?: readonly FoundWorkflow[]; readonly print?: (line: string) => void } = {}): Promise<{ readonly url: string; close(): Promise<void> }> {
  const print = extra.print ?? ((line: string) => console.log(line));
  const found = extra.found ?? (options.workflows === undefined ? [] : await (await import("./workflow-dir.js")).loadWorkflowDir(options.workflows, print));
  const { createServer, createFileTokenStore, postgresCommitSignal } = await import("../server/index.js");
  const { createBus } = await import("../bus/index.js");
  const { createStoreWriter } = await import("../store/index.js");
  const { postgres } = options;
  const store = await openStore(options);
  const { DEFAULT_NATS } = await import("./nats-flags.js");
  const nats = options.nats === undefined ? undefined : await connectNats(options.nats === true ? DEFAULT_NATS : options.nats);
  const { natsCommitSignal } = nats === undefined ? { natsCommitSignal: undefined } : await import("../bridges/nats/index.js");
  const bus = found.length === 0 ? undefined : createBus();
  const writer = bus === undefined ? undefined : createStoreWriter(bus, store);
  let server: Awaited<ReturnType<typeof createServer>> | undefined;
  let url: string;
  try {
    server = await createServer({
      store,
      auth: {
        defaultAccount: options.account,
        ...(options.tokens !== undefined && existsSync(options.tokens) ? { tokens: createFileTokenStore(options.tokens) } : {}),
      },
      live: {
        pollIntervalMs: options.poll,
        signals: [
          ...(postgres === undefined ? [] : [(hub: Parameters<typeof postgresCommitSignal>[1]) => postgresCommitSignal({ connectionString: postgres }, hub)]),
          ...(nats === undefined || natsCommitSignal === undefined ? [] : [(hub: Parameters<typeof natsCommitSignal>[1]) => natsCommitSignal(nats, hub, options.commitSubject === undefined ? {} : { subject: options.commitSubject })]),
        ],
      },
      http: { logger: { level: options.logLevel ?? "warn" } },
      onNotice: (message) => print(`[runtrail] ${message}`),
      ...(bus === undefined || writer === undefined ? {} : { bus, writer, workflows: found.map((f) => f.workflow) }),
    });
    url = await server.listen({ host: options.host, port: options.port });
  } catch (error) {
    // A refused bind (no tokens, port taken) must not leave the database open behind the error.
    await server?.close();
    await writer?.close();
    await store.close();
    await nats?.close();
    throw error;
  }
  // For 0.0.0.0 Fastify returns a loopback URL: say what is really bound, so an exposed server shows.
  const { hostname, port } = new URL(url);
  const bound = hostname === options.host ? "" : ` on ${options.host} port ${port}`;
  print(`[runtrail] serving ${url}/api${bound} (OpenAPI: ${url}/api/openapi.json)`);
  print(`[runtrail] dashboard: ${url}/`);
  if (nats !== undefined) print(`[runtrail] live streams wake on the commits collectors announce on NATS (${options.commitSubject ?? "runtrail.commit"}.*)`);
  for (const { workflow, file } of found) print(`[runtrail] workflow ${workflow.name} (${file}): POST ${url}/api/workflows/${encodeURIComponent(workflow.name)}/runs`);
  const running = server;
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      // server.close() ends open streams (their clients resume elsewhere from their cursor).
      closing ??= running
        .close()
        .then(() => writer?.close())
        .then(() => store.close())
        .then(() => nats?.close());
      return closing;
    },
  };
}

async function serve(options: ServeOptions): Promise<void> {
  const { close } = await startServer(options);
  const stop = (): void => {
    // Everything committed is already durable; a close that hangs (a known case with a run
    // still executing after tail clients left) must not keep the process alive for ever.
    setTimeout(() => {
      console.error("[runtrail] shutdown did not finish within 10 s; exiting (committed events are stored)");
      process.exit(0);
    }, 10_000).unref();
    close().then(
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
