/**
 * `createServer`: the HTTP API, the SSE streams and the WebSocket endpoint on one Fastify server,
 * over a store (and, for live runs of this process, its bus and store writer).
 */
import cors from "@fastify/cors";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify from "fastify";
import { setMaxListeners } from "node:events";
import type { CommitSignal } from "../store/index.js";
import type { RunHandle } from "../engine/index.js";
import { pollingCommitSignal, writerCommitSignal } from "./live/commit-signals.js";
import { sharedResponseSchemas } from "./http/api-responses.js";
import { registerControlRoutes } from "./http/routes-control.js";
import { registerSignalRoutes } from "./http/routes-signals.js";
import { registerSuspendRoutes } from "./http/routes-suspend.js";
import { registerChildRunRoutes } from "./http/routes-children.js";
import { registerIndexRoutes } from "./http/routes-index.js";
import { registerRunRoutes } from "./http/routes-runs.js";
import { registerAnalyticsRoutes } from "./http/routes-analytics.js";
import { registerSseRoutes } from "./live/routes-sse.js";
import type { StreamHub } from "./live/stream-hub.js";
import type { App } from "./server-context.js";
import { contextOf, type ServerOptions } from "./server-options.js";
import { handleClientError, handleError, sendError, sendUnavailable } from "./http/error-responses.js";
import { bodyDepthGuard, DEFAULT_MAX_BODY_DEPTH } from "./http/body-depth.js";
import { registerRequestGuards } from "./http/request-guards.js";
import { attachWebSocket } from "./ws/ws-handler.js";
import { trackConnections } from "./server-connections.js";
import { holdHandle, letGoOfIdleRuns } from "./http/run-hold.js";
import { registerDashboard } from "./dashboard/index.js";
import { asyncApiDocument } from "../asyncapi/index.js";

/** A created server. */
export interface RuntrailServer {
  /** The Fastify instance (for `inject` in tests, or more routes). */
  readonly app: App;
  readonly hub: StreamHub;
  /** Starts listening; returns the base URL. Refuses a non-loopback host in open mode. */
  listen(options?: { readonly host?: string; readonly port?: number }): Promise<string>;
  /**
   * The first half of a graceful shutdown: from now on `POST /api/workflows/:name/runs` answers
   * 503 `draining` (reads and streams go on); waits up to `graceMs` for the runs this server
   * executes to end, then cancels the rest with `reason` (stored in their `run.cancelled`) and
   * waits for those to end. A run suspended with nothing left to do (it only waits for a signal,
   * or is paused) is neither waited for nor cancelled: it is let go (its trail is stored, the lease
   * gives it back), so another process resumes it when the signal comes; its handle here is not
   * to be used again. Then `close()`.
   */
  drain(options: DrainOptions): Promise<DrainResult>;
  /**
   * Takes on a run resumed in this process outside the routes (crash recovery's `onResumed`):
   * signals and cancels reach it like a run this server started, and `drain` waits for it.
   */
  adopt(accountId: string, handle: RunHandle<unknown>): void;
  close(): Promise<void>;
}

/** Options of {@link RuntrailServer.drain}. */
export interface DrainOptions {
  /** How long executing runs may go on before they are cancelled. */
  readonly graceMs: number;
  /** The cancelled runs' reason. Default: says the server shut down and how long it waited. */
  readonly reason?: string;
}

/** What {@link RuntrailServer.drain} did: runs that ended by themselves within the grace, the ones it cancelled, and the suspended ones it let go. */
export interface DrainResult {
  readonly finished: number;
  readonly cancelled: readonly string[];
  /** Runs left suspended in the store, waiting for a resume by any process. */
  readonly released: readonly string[];
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
 * const server = await createServer({ store, bus, writer, workflows: [etl], auth: { tokens: createFileTokenStore(".runtrail/tokens.json") } });
 * console.log(await server.listen({ host: "0.0.0.0", port: 8080 }));
 */
export async function createServer(options: ServerOptions): Promise<RuntrailServer> {
  const notice = options.onNotice ?? ((message: string) => console.log(`[runtrail] ${message}`));
  const shutdown = new AbortController();
  // Every open SSE stream listens for the shutdown: as many listeners as streams is no leak.
  setMaxListeners(0, shutdown.signal);
  const ctx = contextOf(options, shutdown.signal);
  const { hub } = ctx.live;
  const { http = {}, live = {} } = options;
  const maxUrlLength = http.maxUrlLength ?? 8 * 1024;
  let closing = false;
  const app: App = Fastify({
    logger: http.logger ?? false,
    bodyLimit: http.bodyLimit ?? 1024 * 1024,
    // Errors Fastify and Node answer themselves get the documented body too (see the hooks below).
    clientErrorHandler: handleClientError,
    return503OnClosing: false,
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
  if (http.cors !== undefined) {
    const origin = http.cors.origin;
    await app.register(cors, { origin: typeof origin === "string" || origin === true ? origin : [...origin], credentials: http.cors.credentials ?? false });
  }
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, "not_found", `no route ${request.method} ${request.url.split("?")[0] ?? ""}`));
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", async (request, reply) => {
    if (closing) return sendUnavailable(reply);
    if (request.url.length > maxUrlLength) return sendError(reply, 414, "uri_too_long", `the URL is longer than ${maxUrlLength} bytes, the server's limit (maxUrlLength)`, "url");
    return undefined;
  });
  app.addHook("preValidation", bodyDepthGuard(http.maxBodyDepth ?? DEFAULT_MAX_BODY_DEPTH));
  registerRequestGuards(app, ctx);
  registerRunRoutes(app, ctx);
  registerAnalyticsRoutes(app, ctx);
  registerControlRoutes(app, ctx);
  registerSignalRoutes(app, ctx);
  registerSuspendRoutes(app, ctx);
  registerChildRunRoutes(app, ctx);
  registerSseRoutes(app, ctx);
  registerIndexRoutes(app, ctx);
  app.get("/api/openapi.json", { schema: { hide: true } }, () => app.swagger());
  // The streams' own contract (SSE, WebSocket, NATS subjects), beside the request/response one.
  app.get("/api/asyncapi.json", { schema: { hide: true } }, () => asyncApiDocument());
  if (options.dashboard !== false) await registerDashboard(app, options.dashboard);
  await app.ready();
  let closed: Promise<void> | undefined;
  const connections = trackConnections(app.server);
  const close = (): Promise<void> => {
    closed ??= (async () => {
      ctx.auth.close();
      for (const signal of signals) await signal.close();
      for (const { handle } of ctx.handles.values()) handle.cancel("the server is closing");
      // Live SSE responses never end by themselves; without this, app.close() waits for clients.
      shutdown.abort();
      await closeWs();
      const stopped = app.close();
      // Node's server.close() leaves a socket that never sent a request open; it would hold the close for a minute.
      connections.closeIdle();
      await stopped;
    })();
    return closed;
  };
  const onFatal = options.onFatal ?? ((error: Error) => console.error(`[runtrail] the server stopped: ${error.message}`));
  try {
    // A token file that does not parse stops the start here, naming the file and the position.
    await ctx.auth.start({
      notice,
      // Refusing every request with an error would be a server in name only: it stops, and says why.
      fatal: (error) => void close().then(() => onFatal(error)),
    });
  } catch (error) {
    await app.close();
    throw error;
  }

  const closeWs = attachWebSocket(app.server, ctx, app.log);
  const signals: CommitSignal[] = [];
  if (options.bus !== undefined && options.writer !== undefined) signals.push(writerCommitSignal(options.writer, hub, { bus: options.bus, tail: ctx.live.tail, live: live.mode ?? "committed" }));
  const poll = live.pollIntervalMs ?? (signals.length === 0 ? 1_000 : 0);
  if (poll > 0) signals.push(pollingCommitSignal(hub, poll));
  for (const make of live.signals ?? []) signals.push(await make(hub));

  return {
    app,
    hub,
    async listen(listenOptions = {}) {
      const host = listenOptions.host ?? "127.0.0.1";
      if (ctx.auth.tokens === undefined) {
        if (!LOOPBACK.has(host)) throw new Error(`refusing to listen on ${host} without API tokens: configure tokens, or listen on 127.0.0.1`);
        notice(`no API tokens configured: listening on loopback (${host}) only; every request acts for account "${ctx.auth.defaultAccount}"`);
        if (ctx.auth.tokenFile !== undefined) notice(`following the token file ${ctx.auth.tokenFile}: open mode ends when it appears`);
      }
      const address = await app.listen({ host, port: listenOptions.port ?? 0 });
      return address;
    },
    async drain({ graceMs, reason }) {
      ctx.lifecycle.draining = true;
      const released = await letGoOfIdleRuns(ctx);
      const ended = (): Promise<unknown> => Promise.all([...ctx.handles.values()].map(({ handle }) => handle.result.catch(() => undefined)));
      const before = ctx.handles.size;
      const releasedFirst = released.length;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([ended(), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, graceMs))))]);
      clearTimeout(timer);
      // A run that came to wait during the grace is let go too, not cancelled.
      released.push(...(await letGoOfIdleRuns(ctx)));
      const left = [...ctx.handles.values()];
      const why = reason ?? `the server shut down; the run had not ended within the ${graceMs / 1000} s grace`;
      for (const { handle } of left) handle.cancel(why);
      // A cancelled run ends at once (its running steps are abandoned, run.cancelled is emitted).
      await ended();
      return { finished: before - left.length - (released.length - releasedFirst), cancelled: left.map(({ handle }) => handle.runId), released };
    },
    adopt(accountId, handle) {
      holdHandle(ctx, accountId, handle);
    },
    close,
  };
}

