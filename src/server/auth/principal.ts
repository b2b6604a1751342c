/**
 * Who a request acts for. API routes take `Authorization: Bearer <api token>`; stream routes also
 * take `?token=<stream token>` (browsers' EventSource cannot set headers). Without a token store
 * the server is in open mode: loopback only, every request acts for the default account.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { StreamTokenSigner } from "./stream-token.js";
import type { TokenStore } from "./token-store.js";

/** The account a request acts for, and what it may do. */
export interface Principal {
  readonly accountId: string;
  readonly readOnly: boolean;
  /** Set for a stream token bound to one run: only that run's stream. */
  readonly runId?: string;
  readonly via: "api-token" | "stream-token" | "open";
  /** The API token it rests on (for a stream token, the one that minted it): its revocation ends what it opened. */
  readonly tokenId?: string;
}

/** What a route needs. */
export type Access = "read" | "write" | "stream";

/** A refused request: 401 (no or bad credentials) or 403 (valid, but not allowed to). */
export class AuthError extends Error {
  override readonly name = "AuthError";
  constructor(
    readonly status: 401 | 403,
    readonly code: "unauthorized" | "forbidden",
    message: string,
  ) {
    super(message);
  }
}

/** What {@link authenticate} checks against. */
export interface AuthConfig {
  /** Undefined: open mode. */
  readonly tokens: TokenStore | undefined;
  readonly signer: StreamTokenSigner;
  readonly defaultAccount: string;
}

function bearer(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header);
  if (match === null) throw new AuthError(401, "unauthorized", "the Authorization header must be `Bearer <token>`");
  return match[1];
}

/**
 * The principal of a request, or an {@link AuthError}.
 *
 * @example
 * const who = await authenticate(config, request.headers, query.token, "read");
 */
export async function authenticate(config: AuthConfig, headers: IncomingHttpHeaders, queryToken: string | undefined, access: Access): Promise<Principal> {
  if (config.tokens === undefined) return { accountId: config.defaultAccount, readOnly: false, via: "open" };
  const token = bearer(headers);
  if (token !== undefined) {
    const grant = await config.tokens.verify(token);
    if (grant === undefined) throw new AuthError(401, "unauthorized", "invalid API token");
    if (access === "write" && grant.readOnly) throw new AuthError(403, "forbidden", "this token is read-only");
    return { accountId: grant.accountId, readOnly: grant.readOnly, via: "api-token", tokenId: grant.tokenId };
  }
  if (queryToken !== undefined) {
    if (access !== "stream") throw new AuthError(401, "unauthorized", "a stream token is accepted on stream routes only; send `Authorization: Bearer <api token>`");
    const grant = config.signer.verify(queryToken);
    if (grant === undefined) throw new AuthError(401, "unauthorized", "invalid or expired stream token");
    // A stream token lives no longer than the API token that minted it.
    if (grant.tokenId === undefined) throw new AuthError(401, "unauthorized", "this stream token was minted without an API token (in open mode); mint a new one with `POST /api/stream-tokens`");
    const mintedBy = grant.tokenId;
    if (!(await config.tokens.list()).some((record) => record.id === mintedBy)) {
      throw new AuthError(401, "unauthorized", `the API token ${mintedBy} that minted this stream token has been revoked`);
    }
    return { accountId: grant.accountId, readOnly: true, via: "stream-token", tokenId: mintedBy, ...(grant.runId === undefined ? {} : { runId: grant.runId }) };
  }
  throw new AuthError(401, "unauthorized", "missing credentials: send `Authorization: Bearer <api token>`");
}

/** Refuses a run-bound stream token on any other stream. */
export function checkRunScope(principal: Principal, runId: string | undefined): void {
  if (principal.runId !== undefined && principal.runId !== runId) {
    throw new AuthError(403, "forbidden", "this stream token is bound to another stream");
  }
}
