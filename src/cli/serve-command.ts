/**
 * `runtrail serve`: the API and live streams over a store that other processes write, and with
 * `--workflows DIR` the workflows `POST /api/workflows/:name/runs` starts (run in this process,
 * through its own store writer). Streams re-read the store every `--poll` ms (and on PostgreSQL
 * NOTIFY, when the writers send it).
 *
 * The process holds a run lease in the store (`store/lease`): the runs it executes are tied to it,
 * and on start and every third of `--lease-ttl` it ends the runs of leases that expired (processes
 * that died) with a stored `run.failed` (`RunAbandoned`), except the runs of workflows of
 * `--workflows` built with `recover: "resume"`: those it resumes from their trail (crash
 * recovery), and takes on like the runs it started. A suspended run no process holds whose wait
 * timed out is resumed here too (a workflow of `--workflows`), so its timeout fires. Every
 * resume claims the run for this lease first, so two servers never both go on with one.
 *
 * SIGINT or SIGTERM drains: new runs are refused (503 `draining`), executing runs get `--grace`
 * seconds to end and are then cancelled with a stored reason (a run that only waits for a signal
 * is not: it is left suspended in the store, for any server to resume); then the server, the writer, the
 * lease and the store close and the process exits 0. A second signal exits at once (what is committed is stored; the lease expires).
 * The token file is followed while the server runs: a token created or revoked there
 * takes effect at once (revoked tokens' streams end), the file appearing ends open mode, and a
 * file that no longer parses stops the server (exit 1, naming the file and the position).
 */
import { randomUUID } from "node:crypto";
import { Command, Option } from "commander";
import type { RecoverableWorkflow, RunHandle } from "../engine/index.js";
import type { NatsConnection } from "@nats-io/transport-node";
import type * as NatsBridge from "../bridges/nats/index.js";
import type { SignalDispatcher, StartableWorkflow } from "../server/index.js";
import { integerIn, positiveNumber } from "./cli-input.js";
import { connectNats, DEFAULT_NATS, natsOptions, type NatsFlags } from "./nats-flags.js";
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
  /** Seconds executing runs get to end after SIGTERM before they are cancelled. Default {@link DEFAULT_GRACE_S}. */
  readonly grace?: number;
  /** Seconds the run lease lives without renewal. Default {@link DEFAULT_LEASE_TTL_S}. */
  readonly leaseTtl?: number;
}

/** `--grace`: how long a SIGTERM waits for executing runs before it cancels them. */
export const DEFAULT_GRACE_S = 30;
/** `--lease-ttl`: how long a dead process's runs may stay `running` (plus a third of it, the sweep interval). */
export const DEFAULT_LEASE_TTL_S = 30;

/** A started server: its URL, and how it stops. */
export interface StartedServer {
  readonly url: string;
  /** Drains (refuses new runs, waits up to `graceMs` for executing ones, cancels the rest), then closes everything. */
  close(options?: { readonly graceMs?: number }): Promise<void>;
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
    .option("--tokens <path>", "token file, followed while serving (absent file: open mode, loopback only, until it appears)", DEFAULT_TOKEN_FILE)
    .option("--poll <ms>", "re-read interval of live streams (0: off, PostgreSQL NOTIFY only)", integerIn(0, 3_600_000, "the poll interval"), 500)
    .option("--workflows <dir>", "register the workflows of this folder's files, so the API can start them")
    .addOption(new Option("--log-level <level>", "the server's log (JSON lines on stdout): requests at info, failures at error").choices(LOG_LEVELS).default("warn"))
    .option("--grace <seconds>", "on SIGTERM/SIGINT, how long executing runs may go on before they are cancelled", integerIn(0, 86_400, "the grace"), DEFAULT_GRACE_S)
    .option("--lease-ttl <seconds>", "run lease lifetime: how long runs of a process that died stay running before they are ended as abandoned (or, for recover: \"resume\" workflows, resumed here)", positiveNumber("the lease ttl"), DEFAULT_LEASE_TTL_S), "optional")
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
export async function startServer(
  options: ServeOptions,
  extra: {
    readonly found?: readonly FoundWorkflow[];
    readonly print?: (line: string) => void;
    /** The server stopped itself (a token file that no longer parses), and the store is closed. */
    readonly onStopped?: (error: Error) => void;
  } = {},
): Promise<StartedServer> {
  const print = extra.print ?? ((line: string) => console.log(line));
  const found = extra.found ?? (options.workflows === undefined ? [] : await (await import("./workflow-dir.js")).loadWorkflowDir(options.workflows, print));
  const { createServer, postgresCommitSignal } = await import("../server/index.js");
  const { createBus } = await import("../bus/index.js");
  const { createStoreWriter, createRunLease } = await import("../store/index.js");
  const { recoverWorkflows } = await import("../engine/index.js");
  const { postgres } = options;
  const store = await openStore(options);
  const nats =
    options.nats === undefined
      ? undefined
      : await connectNats(options.nats === true ? DEFAULT_NATS : options.nats).catch(async (error: unknown) => {
          await store.close();
          throw error;
        });
  const natsBridge = nats === undefined ? undefined : await import("../bridges/nats/index.js");
  const natsCommitSignal = natsBridge?.natsCommitSignal;
  const bus = found.length === 0 ? undefined : createBus();
  // The lease's id first: the writer is tied to it, and is on the bus before any run is recovered onto it.
  const ownerId = randomUUID();
  const writer = bus === undefined ? undefined : createStoreWriter(bus, store, { lease: { ownerId } });
  let server: Awaited<ReturnType<typeof createServer>> | undefined;
  const recoverable = found.map((f) => f.workflow).filter((wf): wf is StartableWorkflow & RecoverableWorkflow => typeof wf.resume === "function");
  // The server exists by the time anything is recovered: createRunLease's own sweep recovers nothing.
  const adopt = (handle: RunHandle<unknown>, run: { readonly accountId: string }): void => server?.adopt(run.accountId, handle);
  const recover = bus === undefined ? undefined : recoverWorkflows(recoverable, { bus, onResumed: adopt, onWoken: adopt });
  // Taken even with nothing to execute: every server sweeps the runs of processes that died.
  const lease = await createRunLease(store, {
    ownerId,
    ttlMs: (options.leaseTtl ?? DEFAULT_LEASE_TTL_S) * 1_000,
    onError: (error) => print(`[runtrail] run lease: ${error.message}`),
    onAbandoned: (run) => print(`[runtrail] run ${run.runId} (${run.workflow.name}, account ${run.accountId}) had lost its process; ended as failed (RunAbandoned) after seq ${run.lastSeq}`),
    onRecovered: (run, outcome) =>
      print(
        outcome === "resumed"
          ? `[runtrail] run ${run.runId} (${run.workflow.name}, account ${run.accountId}) had lost its process; resumed here from its trail after seq ${run.lastSeq} (recover: "resume")`
          : `[runtrail] run ${run.runId} (${run.workflow.name}, account ${run.accountId}) had lost its process while suspended; left suspended for a signal to resume it anywhere`,
      ),
    onWoken: (run) => print(`[runtrail] run ${run.runId} (${run.workflow.name}, account ${run.accountId}) was suspended with no process holding it, and its wait timed out at ${new Date(run.wakeAt).toISOString()}: resumed here for the timeout`),
    ...(recover === undefined ? {} : { recover }),
  }).catch(async (error: unknown) => {
    await writer?.close();
    await store.close();
    await nats?.close();
    throw error;
  });
  let url: string;
  let closeAll = (): Promise<void> => Promise.resolve();
  try {
    server = await createServer({
      store,
      auth: {
        defaultAccount: options.account,
        ...(options.tokens === undefined ? {} : { tokenFile: options.tokens }),
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
      onFatal: (error) => {
        console.error(`[runtrail] stopping: ${error.message}`);
        void closeAll().then(() => extra.onStopped?.(error));
      },
      ...(bus === undefined || writer === undefined ? {} : { bus, writer, workflows: found.map((f) => f.workflow), lease }),
      // No writer here but NATS: a signal for a suspended run is queued for the workers, which resume it from the trail.
      ...(writer !== undefined || nats === undefined || natsBridge === undefined ? {} : { dispatchSignal: natsSignalDispatcher(natsBridge, nats, options) }),
    });
    // The first sweep (in createRunLease) left recoverable runs for now: the server can take them on.
    if (recover !== undefined) await lease.sweep();
    url = await server.listen({ host: options.host, port: options.port });
  } catch (error) {
    // A refused bind (no tokens, port taken) must not leave the database open behind the error.
    await server?.close();
    await writer?.close();
    await lease.close();
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
  if (nats !== undefined && writer === undefined) print(`[runtrail] signals for suspended runs are queued for NATS workers on ${options.runPrefix ?? "runtrail.start"}.<workflow> (they resume the run from its trail)`);
  for (const { workflow, file } of found) print(`[runtrail] workflow ${workflow.name} (${file}): POST ${url}/api/workflows/${encodeURIComponent(workflow.name)}/runs`);
  const running = server;
  let closing: Promise<void> | undefined;
  const close = ({ graceMs = (options.grace ?? DEFAULT_GRACE_S) * 1_000 }: { readonly graceMs?: number } = {}): Promise<void> => {
    closing ??= (async () => {
      if (writer !== undefined) {
        print(`[runtrail] draining: new runs are refused (503); executing runs have ${graceMs / 1_000} s to end`);
        const { finished, cancelled, released } = await running.drain({ graceMs });
        print(`[runtrail] drained: ${finished} run(s) ended, ${cancelled.length} cancelled${cancelled.length === 0 ? "" : ` (${cancelled.join(", ")})`}`);
        if (released.length > 0) print(`[runtrail] ${released.length} suspended run(s) left waiting in the store, for any server to resume on their signal: ${released.join(", ")}`);
      }
      // server.close() ends open streams (their clients resume elsewhere from their cursor).
      await running.close();
      await writer?.close();
      // After the writer: every run it tied to the lease has its terminal event stored.
      await lease.close();
      await store.close();
      await nats?.close();
    })();
    return closing;
  };
  // A server that stopped itself (a token file that no longer parses) closes at once, with no grace.
  closeAll = () => close({ graceMs: 0 });
  return { url, close };
}

/**
 * `serve --nats` with no writer: signals for suspended runs go on the run queue, to the workers
 * of the run's workflow (the queue's stream is made on the first signal if no worker made it yet).
 */
function natsSignalDispatcher(bridge: typeof NatsBridge, nc: NatsConnection, options: ServeOptions): SignalDispatcher {
  const queue = { prefix: options.runPrefix ?? bridge.DEFAULT_RUN_PREFIX, stream: options.runQueue ?? bridge.DEFAULT_RUN_STREAM };
  let ready: Promise<void> | undefined;
  return async ({ dedupKey, ...request }) => {
    ready ??= bridge.ensureNatsRunQueue(nc, queue).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    await ready;
    await bridge.dispatchNatsSignal(nc, request, { prefix: queue.prefix, msgId: dedupKey });
  };
}

async function serve(options: ServeOptions): Promise<void> {
  const { close } = await startServer(options, { onStopped: () => process.exit(1) });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      console.error(`[runtrail] ${signal} again: exiting now (committed events are stored; runs still executing will be ended as abandoned once the lease expires)`);
      process.exit(1);
    }
    stopping = true;
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`[runtrail] shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
