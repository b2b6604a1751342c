/**
 * What the route modules share, by wing: the store, this process's bus and writer, the startable
 * workflows and the handles of runs this server started (to cancel them); `auth` (tokens, stream
 * token signer), `live` (stream hub, live tail, shared store reads) and `ws` (its bounds).
 */
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from "fastify";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { EventBus } from "../bus/index.js";
import type { RuntrailEvent } from "../events/index.js";
import type { RunClaimer, RunHandle, RunOptions } from "../engine/index.js";
import type { EventStore, StoreWriter } from "../store/index.js";
import type { AuthState } from "./auth/auth-state.js";
import type { StreamHub } from "./live/stream-hub.js";
import type { StreamLimits } from "./live/stream-limits.js";
import type { StreamFeed } from "./live/stream-source.js";

/** The Fastify instance with TypeBox schemas as its type provider. */
export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * The slice of a `Workflow` the API uses. Method syntax keeps it bivariant, so any built
 * `Workflow<Input, Output>` fits; the workflow itself checks the input it is given.
 */
export interface StartableWorkflow {
  readonly name: string;
  readonly version?: string | undefined;
  start(input: unknown, options: RunOptions): RunHandle<unknown>;
  /** Goes on with a suspended run from its trail (a built `Workflow` has it): lets a signal resume a run no process holds. */
  resume?(trail: readonly RuntrailEvent[], options: Omit<RunOptions, "runId" | "accountId" | "parentRunId">): RunHandle<unknown>;
}

/** A signal for a suspended run that no process here can resume, to be queued for one that can. */
export interface QueuedSignal {
  /** The run to resume: the run at the top of the signalled run's tree (its signal reaches a child's wait). */
  readonly runId: string;
  /** The workflow that started `runId`. */
  readonly workflow: string;
  readonly accountId: string;
  readonly signal: { readonly name: string; readonly payload?: unknown; readonly by: string };
  /** The same for every request answering one wait (the run, the signal and its `run.suspended` seq): dedups a retried dispatch. */
  readonly dedupKey: string;
}

/**
 * Queues a signal for whichever process can resume the run (`serve --nats`: the run queue that
 * NATS workers take from); resolves once the queue holds it.
 */
export type SignalDispatcher = (request: QueuedSignal) => Promise<void>;

/**
 * The auth wing: what requests are checked against (the tokens in force now, or open mode), the
 * stream tokens' longest life, and the open streams it ends when their token is revoked.
 */
export type AuthContext = AuthState;

/** The live wing: what stream sources read from, what wakes them, and how often they beat. */
export interface LiveContext extends StreamFeed {
  readonly hub: StreamHub;
  /** SSE heartbeat comment and WebSocket ping interval. */
  readonly heartbeatMs: number;
  /** An SSE stream not drained this long is closed. */
  readonly sseDrainTimeoutMs: number;
  /** Open streams (SSE and WebSocket connections), by token and in all. */
  readonly limits: StreamLimits;
}

/** The WebSocket wing's bounds. */
export interface WsContext {
  readonly maxBufferedBytes: number;
  readonly maxSubscriptions: number;
  readonly slowTimeoutMs: number;
  readonly slowCloseGraceMs: number;
}

/** Everything a route needs, grouped by wing; built once by `contextOf` (server-options.ts). */
export interface ServerContext {
  readonly store: EventStore;
  readonly bus: EventBus | undefined;
  readonly writer: StoreWriter | undefined;
  readonly workflows: ReadonlyMap<string, StartableWorkflow>;
  /** Where a server with no writer queues the signals of suspended runs it cannot resume (`serve --nats`). */
  readonly dispatchSignal?: SignalDispatcher;
  /** The run lease the writer is tied to: resuming a run claims it for this lease first. */
  readonly lease?: RunClaimer;
  /** Runs started through the API and still running, by run id. */
  readonly handles: Map<string, { readonly accountId: string; readonly handle: RunHandle<unknown> }>;
  /** Aborted when the server closes: open SSE streams end (their clients resume elsewhere by Last-Event-ID). */
  readonly shutdown: AbortSignal;
  /** Set by `drain()`: the server starts no more runs (503 `draining`). */
  readonly lifecycle: { draining: boolean };
  readonly auth: AuthContext;
  readonly live: LiveContext;
  readonly ws: WsContext;
}
