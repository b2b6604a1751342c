/**
 * What the route modules share: the store, the stream hub, the live tail and shared store reads,
 * the auth configuration, the startable workflows and the handles of runs this server started (to
 * cancel them).
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from "fastify";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { EventBus } from "../bus/bus.js";
import type { RunHandle, RunOptions } from "../engine/index.js";
import type { EventStore } from "../store/store-types.js";
import type { StoreWriter } from "../store/store-writer.js";
import { authenticate, AuthError, type Access, type AuthConfig, type Principal } from "./auth/principal.js";
import type { StreamHub } from "./live/stream-hub.js";
import type { StreamFeed } from "./live/stream-source.js";
import type { StreamTokenSigner } from "./auth/stream-token.js";

/** The Fastify instance with TypeBox schemas as its type provider. */
export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * The slice of a `Workflow` the API uses. Method syntax keeps it bivariant, so any built
 * `Workflow<Input, Output>` fits; the workflow itself checks the input it is given.
 */
export interface StartableWorkflow {
  readonly name: string;
  start(input: unknown, options: RunOptions): RunHandle<unknown>;
}

/** Everything a route needs; as a {@link StreamFeed}, it is what stream sources read from. */
export interface ServerContext extends StreamFeed {
  readonly store: EventStore;
  readonly hub: StreamHub;
  readonly auth: AuthConfig;
  readonly signer: StreamTokenSigner;
  readonly bus: EventBus | undefined;
  readonly writer: StoreWriter | undefined;
  readonly workflows: ReadonlyMap<string, StartableWorkflow>;
  /** Runs started through the API and still running, by run id. */
  readonly handles: Map<string, { readonly accountId: string; readonly handle: RunHandle<unknown> }>;
  readonly heartbeatMs: number;
  readonly pageSize: number;
  readonly maxStreamTokenTtlMs: number;
  readonly wsMaxBufferedBytes: number;
  readonly wsMaxSubscriptions: number;
  readonly wsSlowTimeoutMs: number;
  /** Aborted when the server closes: open SSE streams end (their clients resume elsewhere by Last-Event-ID). */
  readonly shutdown: AbortSignal;
}
