/**
 * @module runtrail/server
 * The HTTP API, live SSE and WebSocket streams with gap-free resume, API and stream tokens.
 * Needs the optional peer dependencies `fastify`, `@fastify/swagger`, `@fastify/cors`,
 * `@fastify/type-provider-typebox` and `ws`. One folder per wing: `http/` (routes, schemas, error
 * responses), `auth/` (API tokens, stream tokens, who asks), `live/` (the stream hub, live tail,
 * sources, pump, SSE routes, this process's commit signals), `ws/` (the WebSocket endpoint) and
 * `dashboard/` (the web app's static files at `/`, when built; needs `@fastify/static`).
 */
export { createServer, type DrainOptions, type DrainResult, type RuntrailServer } from "./server-create.js";
export type { AuthOptions, HttpOptions, LiveOptions, ServerOptions, WsOptions } from "./server-options.js";
export type { QueuedSignal, SignalDispatcher, StartableWorkflow } from "./server-context.js";
export { createMemoryTokenStore, hashToken, type CreateTokenOptions, type TokenGrant, type TokenRecord, type TokenStore, type TokenStoreWatcher } from "./auth/token-store.js";
export { createFileTokenStore, type FileTokenStoreOptions } from "./auth/token-file-store.js";
export { TokenFileError } from "./auth/token-file-parse.js";
export { createStreamTokenSigner, type StreamGrant, type StreamTokenSigner } from "./auth/stream-token.js";
export { pollingCommitSignal, writerCommitSignal, type LiveMode, type WriterSignalOptions } from "./live/commit-signals.js";
export type { CommitListener, CommitNotice, CommitSignal, CommitSignalFactory } from "../store/index.js";
// The PostgreSQL wake-up is the PostgreSQL adapter's (`runtrail/postgres`); kept here for callers
// that import it from the server. `pg` is loaded only when it is called.
export { postgresCommitSignal, type PostgresSignalOptions } from "../store/postgres/index.js";
export { StreamHub, type NoticeScope, type StreamWaiter } from "./live/stream-hub.js";
export type { LiveTailOptions } from "./live/live-tail.js";
export type { Principal } from "./auth/principal.js";
export type { ClientMessage, ServerMessage, WsErrorCode } from "./ws/ws-protocol.js";
export { findDashboardRoot, type DashboardOptions } from "./dashboard/index.js";
