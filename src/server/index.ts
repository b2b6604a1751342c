/**
 * @module runtrail/server
 * The HTTP API, live SSE and WebSocket streams with gap-free resume, API and stream tokens.
 * Needs the optional peer dependencies `fastify`, `@fastify/swagger`, `@fastify/cors`,
 * `@fastify/type-provider-typebox` and `ws`; the dashboard (served at `/` when built) also `@fastify/static`.
 */
export { createServer, type RuntrailServer, type ServerOptions } from "./server-create.js";
export type { StartableWorkflow } from "./server-context.js";
export { createMemoryTokenStore, hashToken, type CreateTokenOptions, type TokenGrant, type TokenRecord, type TokenStore } from "./token-store.js";
export { createFileTokenStore } from "./token-file-store.js";
export { createStreamTokenSigner, type StreamGrant, type StreamTokenSigner } from "./stream-token.js";
export { pollingCommitSignal, writerCommitSignal, type CommitSignal, type LiveMode, type WriterSignalOptions } from "./commit-signal.js";
export { postgresCommitSignal, type PostgresSignalOptions } from "./postgres-signal.js";
export { StreamHub, type CommitNotice, type NoticeScope, type StreamWaiter } from "./stream-hub.js";
export type { LiveTailOptions } from "./live-tail.js";
export type { Principal } from "./server-auth.js";
export type { ClientMessage, ServerMessage, WsErrorCode } from "./ws-protocol.js";
export { findDashboardRoot, type DashboardOptions } from "./dashboard/index.js";
