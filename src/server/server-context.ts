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
import { authenticate, AuthError, type Access, type AuthConfig, type Principal } from "./server-auth.js";
import type { StreamHub } from "./stream-hub.js";
import type { StreamFeed } from "./stream-source.js";
import type { StreamTokenSigner } from "./stream-token.js";

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

/** Sends the error body every route uses. */
export function sendError(reply: FastifyReply, status: number, error: string, message: string, field?: string): FastifyReply {
  return reply.code(status).send({ error, message, ...(field === undefined ? {} : { field }) });
}

/**
 * Authenticates a request for a route; on refusal sends the 401/403 and returns undefined.
 *
 * @example
 * const who = await principalOf(ctx, request, reply, "read");
 * if (who === undefined) return reply;
 */
export async function principalOf(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, access: Access, queryToken?: string): Promise<Principal | undefined> {
  try {
    return await authenticate(ctx.auth, request.headers, queryToken, access);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    if (error.status === 401) void reply.header("www-authenticate", 'Bearer realm="runtrail"');
    sendError(reply, error.status, error.code, error.message);
    return undefined;
  }
}

/**
 * Whether the account has the run: in the store, or (accepted, not yet committed) in the live
 * tail. Both are keyed by account, so another account's run is never found.
 */
export async function runExists(ctx: ServerContext, accountId: string, runId: string): Promise<boolean> {
  return ctx.tail.holds(accountId, runId) || (await ctx.store.getRun(accountId, runId)) !== undefined;
}

/** The 404 every lookup of a missing or foreign run gets: the same text, so ids do not leak. */
export function runNotFound(reply: FastifyReply, runId: string): FastifyReply {
  return sendError(reply, 404, "not_found", `no run "${runId}"`);
}
