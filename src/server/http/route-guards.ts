/**
 * What routes check before they answer: who asks (`principalOf`, sending the 401/403 itself) and
 * whether the asker's account has the run (`runExists`; a foreign run is `runNotFound`, the same
 * 404 as a missing one).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { authenticate, AuthError, type Access, type Principal } from "../auth/principal.js";
import type { ServerContext } from "../server-context.js";
import { sendError } from "./error-responses.js";

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
  return ctx.live.tail.holds(accountId, runId) || (await ctx.store.getRun(accountId, runId)) !== undefined;
}

/** The 404 every lookup of a missing or foreign run gets: the same text, so ids do not leak. */
export function runNotFound(reply: FastifyReply, runId: string): FastifyReply {
  return sendError(reply, 404, "not_found", `no run "${runId}"`);
}

/**
 * Every field of these bodies is optional, so a POST with an empty body (`curl -X POST -H
 * 'content-type: application/json' …/cancel`; the type is required, see request-guards.ts), or
 * with JSON `null`, means "no options": validate it as `{}` rather than refuse it as "body must be
 * object".
 */
export async function missingBodyIsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}
