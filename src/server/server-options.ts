/**
 * What `createServer` takes, grouped by wing (`auth`, `live`, `http`, `ws`), and how it becomes
 * the {@link ServerContext} the routes share (every default is applied here, once).
 */
import type { FastifyServerOptions } from "fastify";
import type { EventBus } from "../bus/index.js";
import type { RunClaimer } from "../engine/index.js";
import type { CommitSignalFactory, EventStore, StoreWriter } from "../store/index.js";
import { AuthState } from "./auth/auth-state.js";
import { createStreamTokenSigner } from "./auth/stream-token.js";
import type { FileTokenStoreOptions } from "./auth/token-file-store.js";
import type { TokenStore } from "./auth/token-store.js";
import type { DashboardOptions } from "./dashboard/index.js";
import type { LiveMode } from "./live/commit-signals.js";
import { LiveTail, type LiveTailOptions } from "./live/live-tail.js";
import { StreamHub } from "./live/stream-hub.js";
import { StreamLimits } from "./live/stream-limits.js";
import { SharedReads } from "./live/stream-reads.js";
import type { ServerContext, SignalDispatcher, StartableWorkflow } from "./server-context.js";

/**
 * Who may ask, and for which account: API tokens and stream tokens. A token that is revoked
 * while the server runs ends the streams it opened (and those of the stream tokens it minted)
 * with a `token_revoked` error.
 */
export interface AuthOptions {
  /** API tokens. Absent (and no `tokenFile`): open mode (loopback only, every request is `defaultAccount`). */
  readonly tokens?: TokenStore;
  /**
   * A token file to follow, as `runtrail serve --tokens` does (ignored when `tokens` is given):
   * while it does not exist the server is in open mode; once it appears, it is in token mode for
   * good (said through `onNotice`). A file that does not parse keeps the server from starting,
   * and stops a running one (`onFatal`).
   */
  readonly tokenFile?: string;
  /** How `tokenFile` is followed (stat interval, `fs.watch`). */
  readonly tokenFileOptions?: FileTokenStoreOptions;
  /** How often a token store without `watch` is re-listed, to end the streams of revoked tokens. Default 1,000 ms. */
  readonly recheckMs?: number;
  /** Account of open mode. Default `default`. */
  readonly defaultAccount?: string;
  /** Signs stream tokens (≥ 32 bytes); share it between servers behind one load balancer. Default: random. */
  readonly streamTokenSecret?: Uint8Array;
  /** Longest stream token lifetime. Default 1 hour. */
  readonly maxStreamTokenTtlMs?: number;
}

/** Live streams (SSE and WebSocket): when they get events, and what wakes them. */
export interface LiveOptions {
  /**
   * When run streams of this process's runs get an event (with `bus` and `writer`). `committed`
   * (default): only after its commit, so a client is never shown an event a crash could keep from
   * the store. `accepted` (opt-in): as soon as the writer has taken it to store, exactly as it will
   * be stored, before its commit: live latency leaves out the commit, but a crash of this process
   * loses events clients were already shown (up to what the writer's durability mode allows), and
   * a client that resumes after such a crash is told `cursor_ahead`. Either way `end` is sent
   * once the whole run is stored, and account streams get committed events. See README, "Live
   * streams".
   */
  readonly mode?: LiveMode;
  /** SSE heartbeat comment and WebSocket ping interval. Default 15,000 ms. */
  readonly heartbeatMs?: number;
  /** Events per store read of a stream. Default 500. */
  readonly pageSize?: number;
  /** Bounds of the live tail of this process's recent events, which run streams take from (with `writer`). */
  readonly tail?: LiveTailOptions;
  /** Re-read every stream this often, for events written by other processes. Default: 1,000 ms without `bus`/`writer`, else off. */
  readonly pollIntervalMs?: number;
  /** More commit signals (e.g. `postgresCommitSignal` from `runtrail/postgres`): each wakes the streams after commits. */
  readonly signals?: readonly CommitSignalFactory[];
  /**
   * An SSE stream whose socket has not taken what was written to it this long (the client stopped
   * reading) is closed; the client resumes by `Last-Event-ID`. Default 10,000 ms. (WebSocket:
   * `ws.slowTimeoutMs`.)
   */
  readonly sseDrainTimeoutMs?: number;
  /** Open streams (SSE streams and WebSocket connections) per token; one more is refused with 429. Default 256. */
  readonly maxStreamsPerToken?: number;
  /** Open streams (SSE streams and WebSocket connections) on this server; one more is refused with 429. Default 4,096. */
  readonly maxStreams?: number;
}

/** The HTTP server itself. */
export interface HttpOptions {
  /**
   * Allowed CORS origins. Default: none (no CORS headers). In open mode, origins named here are
   * served besides loopback ones (`true` serves none more).
   */
  readonly cors?: { readonly origin: string | readonly string[] | true; readonly credentials?: boolean };
  /** Largest request body. Default 1 MiB. */
  readonly bodyLimit?: number;
  /** Deepest nesting of a JSON request body (`{"input":[1]}` is 2); deeper is a 400. Default 32. */
  readonly maxBodyDepth?: number;
  /** Longest request URL (path and query). Default 8 KiB. */
  readonly maxUrlLength?: number;
  /** Fastify's logger option. Default off. */
  readonly logger?: FastifyServerOptions["logger"];
}

/** The WebSocket endpoint `/api/ws`. */
export interface WsOptions {
  /** A client is closed as slow once this much is waiting in its send buffer. Default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** A client that has not taken a page of events (its socket did not drain) this long is closed as slow. Default 10,000 ms. */
  readonly slowTimeoutMs?: number;
  /** Subscriptions per connection. Default 32. */
  readonly maxSubscriptions?: number;
  /**
   * A client closed as slow gets a `slow_consumer` message per subscription (with its resume
   * position) and close code 4008; its connection is cut once it has taken them, or after this
   * long if it never reads them. Default 30,000 ms.
   */
  readonly slowCloseGraceMs?: number;
}

/**
 * Options of `createServer`: the store it serves, this process's bus and writer (for live runs
 * and starting runs), and one group per wing.
 *
 * @example
 * const options: ServerOptions = {
 *   store,
 *   bus,
 *   writer,
 *   auth: { tokens: createFileTokenStore(".runtrail/tokens.json") },
 *   live: { heartbeatMs: 10_000, sseDrainTimeoutMs: 5_000, maxStreamsPerToken: 64 },
 *   http: { cors: { origin: "https://dash.example" } },
 *   ws: { maxSubscriptions: 8 },
 * };
 */
export interface ServerOptions {
  readonly store: EventStore;
  /** The bus this process's runs emit into; with `writer`, streams wake as soon as it commits. */
  readonly bus?: EventBus;
  /** The writer that stores `bus`'s events in `store`. */
  readonly writer?: StoreWriter;
  /** Workflows `POST /api/workflows/:name/runs` may start (needs `bus` and `writer`). */
  readonly workflows?: readonly StartableWorkflow[];
  /**
   * The run lease `writer` is tied to (`createRunLease`): a suspended run a signal resumes here
   * is claimed for it first, so of two servers given the same signal exactly one resumes the
   * run (the other answers 409).
   */
  readonly lease?: RunClaimer;
  /**
   * A server with no `writer`: where a signal for a suspended run goes (checked first against
   * the wait's schema stored in the run's row), to be resumed by a process that can, such as a
   * NATS worker (`dispatchNatsSignal`). The route answers 202 with `queued: true`.
   */
  readonly dispatchSignal?: SignalDispatcher;
  readonly auth?: AuthOptions;
  readonly live?: LiveOptions;
  readonly http?: HttpOptions;
  readonly ws?: WsOptions;
  /** The web dashboard at `/` (the API stays under `/api`). Default: on when it is built; `false`: off. */
  readonly dashboard?: DashboardOptions | false;
  /** Where start-up notices go. Default `console.log`. */
  readonly onNotice?: (message: string) => void;
  /**
   * Called when the server stopped itself, after it closed: its token file no longer parses
   * (`error` names the file and the position). Default: the message goes to `console.error`.
   */
  readonly onFatal?: (error: Error) => void;
}

/** The context the routes share, with every default applied. */
export function contextOf(options: ServerOptions, shutdown: AbortSignal): ServerContext {
  const { auth = {}, live = {}, ws = {}, http = {} } = options;
  const corsOrigin = http.cors?.origin;
  const hub = new StreamHub();
  return {
    store: options.store,
    bus: options.bus,
    writer: options.writer,
    workflows: new Map((options.workflows ?? []).map((wf) => [wf.name, wf])),
    ...(options.lease === undefined ? {} : { lease: options.lease }),
    ...(options.dispatchSignal === undefined ? {} : { dispatchSignal: options.dispatchSignal }),
    handles: new Map(),
    shutdown,
    lifecycle: { draining: false },
    auth: new AuthState({
      tokens: auth.tokens,
      tokenFile: auth.tokenFile,
      ...(auth.tokenFileOptions === undefined ? {} : { tokenFileOptions: auth.tokenFileOptions }),
      signer: createStreamTokenSigner(auth.streamTokenSecret),
      defaultAccount: auth.defaultAccount ?? "default",
      maxStreamTokenTtlMs: auth.maxStreamTokenTtlMs ?? 3_600_000,
      recheckMs: auth.recheckMs ?? 1_000,
      // Named origins were chosen; `true` (any origin) is no choice open mode can rest on.
      trustedOrigins: corsOrigin === undefined || corsOrigin === true ? [] : typeof corsOrigin === "string" ? [corsOrigin] : corsOrigin,
    }),
    live: {
      store: options.store,
      hub,
      tail: new LiveTail(live.tail),
      reads: new SharedReads(hub),
      heartbeatMs: live.heartbeatMs ?? 15_000,
      pageSize: live.pageSize ?? 500,
      sseDrainTimeoutMs: live.sseDrainTimeoutMs ?? 10_000,
      limits: new StreamLimits(live.maxStreamsPerToken ?? 256, live.maxStreams ?? 4_096),
    },
    ws: {
      maxBufferedBytes: ws.maxBufferedBytes ?? 4 * 1024 * 1024,
      maxSubscriptions: ws.maxSubscriptions ?? 32,
      slowTimeoutMs: ws.slowTimeoutMs ?? 10_000,
      slowCloseGraceMs: ws.slowCloseGraceMs ?? 30_000,
    },
  };
}
