/**
 * `createServer`: the HTTP API, the SSE streams and the WebSocket endpoint on one Fastify server,
 * over a store (and, for live runs of this process, its bus and store writer).
 */
import cors from "@fastify/cors";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyServerOptions } from "fastify";
import { setMaxListeners } from "node:events";
import type { EventBus } from "../bus/bus.js";
import type { EventStore } from "../store/store-types.js";
import type { StoreWriter } from "../store/store-writer.js";
import { pollingCommitSignal, writerCommitSignal, type CommitSignal, type LiveMode } from "./commit-signal.js";
import { sharedResponseSchemas } from "./api-responses.js";
import { registerControlRoutes } from "./routes-control.js";
import { registerIndexRoutes } from "./routes-index.js";
import { registerRunRoutes } from "./routes-runs.js";
import { registerSseRoutes } from "./routes-sse.js";
import { sendError, type App, type ServerContext, type StartableWorkflow } from "./server-context.js";
import { handleError } from "./server-errors.js";
import { LiveTail, type LiveTailOptions } from "./live-tail.js";
import { StreamHub } from "./stream-hub.js";
import { SharedReads } from "./stream-reads.js";
import { createStreamTokenSigner } from "./stream-token.js";
import type { TokenStore } from "./token-store.js";
import { attachWebSocket } from "./ws-handler.js";

/** Options of {@link createServer}. */
export interface ServerOptions {
  readonly store: EventStore;
  /** The bus this process's runs emit into; with `writer`, streams wake as soon as it commits. */
  readonly bus?: EventBus;
  /** The writer that stores `bus`'s events in `store`. */
  readonly writer?: StoreWriter;
  /**
   * When run streams of this process's runs get an event (with `bus` and `writer`). `accepted`
   * (default): as soon as the writer has taken it to store, exactly as it will be stored, before
   * its commit, so live latency does not include the commit. `committed`: only after its commit,
   * so a client never sees an event a crash could keep from the store (at most what the writer's
   * durability mode allows). Either way `end` is sent once the whole run is stored, and account
   * streams get committed events. See README, "Live streams".
   */
  readonly live?: LiveMode;
  /** Workflows `POST /api/workflows/:name/runs` may start (needs `bus` and `writer`). */
  readonly workflows?: readonly StartableWorkflow[];
  /** API tokens. Absent: open mode (loopback only, every request is `defaultAccount`). */
  readonly tokens?: TokenStore;
  /** Account of open mode. Default `default`. */
  readonly defaultAccount?: string;
  /** Signs stream tokens (≥ 32 bytes); share it between servers behind one load balancer. Default: random. */
  readonly streamTokenSecret?: Uint8Array;
  /** Longest stream token lifetime. Default 1 hour. */
  readonly maxStreamTokenTtlMs?: number;
  /** SSE heartbeat comment and WebSocket ping interval. Default 15,000 ms. */
  readonly heartbeatMs?: number;
  /** Events per store read of a stream. Default 500. */
  readonly pageSize?: number;
  /** Bounds of the live tail of this process's recent events, which run streams take from (with `writer`). */
  readonly liveTail?: LiveTailOptions;
  /** Re-read every stream this often, for events written by other processes. Default: 1,000 ms without `bus`/`writer`, else off. */
  readonly pollIntervalMs?: number;
  /** More commit signals (e.g. `postgresCommitSignal`): each notifies the hub after commits. */
  readonly signals?: readonly ((hub: StreamHub) => CommitSignal | Promise<CommitSignal>)[];
  /** Allowed CORS origins. Default: none (no CORS headers). */
  readonly cors?: { readonly origin: string | readonly string[] | true; readonly credentials?: boolean };
  /** Largest request body. Default 1 MiB. */
  readonly bodyLimit?: number;
  /** Longest request URL (path and query). Default 8 KiB. */
  readonly maxUrlLength?: number;
  /** A WebSocket client is closed as slow once this much is waiting in its send buffer. Default 4 MiB. */
  readonly wsMaxBufferedBytes?: number;
  /** A WebSocket client that has not taken a page of events (its socket did not drain) this long is closed as slow. Default 10,000 ms. */
  readonly wsSlowTimeoutMs?: number;
  /** Default 32. */
  readonly wsMaxSubscriptions?: number;
  /** Fastify's logger option. Default off. */
  readonly logger?: FastifyServerOptions["logger"];
  /** Where start-up notices go. Default `console.log`. */
  readonly onNotice?: (message: string) => void;
}

/** A created server. */
export interface RuntrailServer {
  /** The Fastify instance (for `inject` in tests, or more routes). */
  readonly app: App;
  readonly hub: StreamHub;
  /** Starts listening; returns the base URL. Refuses a non-loopback host in open mode. */
  listen(options?: { readonly host?: string; readonly port?: number }): Promise<string>;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Creates the server: `GET /api/runs…`, `POST /api/workflows/:name/runs`, SSE streams, `/api/ws`,
 * `/api/openapi.json`.
 *
 * @example
 * const bus = createBus();
 * const store = await openSqliteStore({ path: "./runtrail.db" });
 * const writer = createStoreWriter(bus, store);
 * const server = await createServer({ store, bus, writer, workflows: [etl], tokens: createFileTokenStore(".runtrail/tokens.json") });
 * console.log(await server.listen({ host: "0.0.0.0", port: 8080 }));
 */
export async function createServer(options: ServerOptions): Promise<RuntrailServer> {
  const hub = new StreamHub();
  const signer = createStreamTokenSigner(options.streamTokenSecret);
  const notice = options.onNotice ?? ((message: string) => console.log(`[runtrail] ${message}`));
  const shutdown = new AbortController();
  // Every open SSE stream listens for the shutdown: as many listeners as streams is no leak.
  setMaxListeners(0, shutdown.signal);
  const ctx: ServerContext = {
    shutdown: shutdown.signal,
    store: options.store,
    hub,
    tail: new LiveTail(options.liveTail),
    reads: new SharedReads(hub),
    auth: { tokens: options.tokens, signer, defaultAccount: options.defaultAccount ?? "default" },
    signer,
    bus: options.bus,
    writer: options.writer,
    workflows: new Map((options.workflows ?? []).map((wf) => [wf.name, wf])),
    handles: new Map(),
    heartbeatMs: options.heartbeatMs ?? 15_000,
    pageSize: options.pageSize ?? 500,
    maxStreamTokenTtlMs: options.maxStreamTokenTtlMs ?? 3_600_000,
    wsMaxBufferedBytes: options.wsMaxBufferedBytes ?? 4 * 1024 * 1024,
    wsMaxSubscriptions: options.wsMaxSubscriptions ?? 32,
    wsSlowTimeoutMs: options.wsSlowTimeoutMs ?? 10_000,
  };
  const maxUrlLength = options.maxUrlLength ?? 8 * 1024;
  const app: App = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    routerOptions: { maxParamLength: 200 },
    // Unknown fields are a 400, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  for (const schema of sharedResponseSchemas) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "Runtrail API", version: "1" },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" }, streamToken: { type: "apiKey", in: "query", name: "token" } } },
      security: [{ bearer: [] }],
    },
    // Shared schemas become components named by their `$id` (`#/components/schemas/Run`), not `def-0`.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === "string" ? json.$id : `def-${i}`) },
  });
  if (options.cors !== undefined) {
    const origin = options.cors.origin;
    await app.register(cors, { origin: typeof origin === "string" || origin === true ? origin : [...origin], credentials: options.cors.credentials ?? false });
  }
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, "not_found", `no route ${request.method} ${request.url.split("?")[0] ?? ""}`));
  app.addHook("onRequest", async (request, reply) => {
    if (request.url.length > maxUrlLength) return sendError(reply, 414, "uri_too_long", `the URL is longer than ${maxUrlLength} bytes`);
    return undefined;
  });
  registerRunRoutes(app, ctx);
  registerControlRoutes(app, ctx);
  registerSseRoutes(app, ctx);
  registerIndexRoutes(app, ctx);
  app.get("/api/openapi.json", { schema: { hide: true } }, () => app.swagger());
  await app.ready();

  const closeWs = attachWebSocket(app.server, ctx, app.log);
  const signals: CommitSignal[] = [];
  if (options.bus !== undefined && options.writer !== undefined) signals.push(writerCommitSignal(options.writer, hub, { bus: options.bus, tail: ctx.tail, live: options.live ?? "accepted" }));
  const poll = options.pollIntervalMs ?? (signals.length === 0 ? 1_000 : 0);
  if (poll > 0) signals.push(pollingCommitSignal(hub, poll));
  for (const make of options.signals ?? []) signals.push(await make(hub));

  let closed: Promise<void> | undefined;
  return {
    app,
    hub,
    async listen(listenOptions = {}) {
      const host = listenOptions.host ?? "127.0.0.1";
      if (options.tokens === undefined) {
        if (!LOOPBACK.has(host)) throw new Error(`refusing to listen on ${host} without API tokens: configure tokens, or listen on 127.0.0.1`);
        notice(`no API tokens configured: listening on loopback (${host}) only; every request acts for account "${ctx.auth.defaultAccount}"`);
      }
      const address = await app.listen({ host, port: listenOptions.port ?? 0 });
      return address;
    },
    close() {
      closed ??= (async () => {
        for (const signal of signals) await signal.close();
        for (const { handle } of ctx.handles.values()) handle.cancel("the server is closing");
        // Live SSE responses never end by themselves; without this, app.close() waits for clients.
        shutdown.abort();
        await closeWs();
        await app.close();
      })();
      return closed;
    },
  };
}
