/**
 * Stream tokens: browsers' EventSource cannot send an `Authorization` header, so a client trades
 * its API token for a short-lived token it may put in a URL. The token is self-contained and
 * HMAC-SHA256 signed with the server's secret: `<base64url payload>.<base64url mac>`, bound to an
 * account, optionally to one run, to an expiry, and to the API token that minted it (so revoking
 * that token refuses it too).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** What a stream token grants. */
export interface StreamGrant {
  readonly accountId: string;
  /** When set, only this run's stream. */
  readonly runId?: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** The id of the API token that minted it; absent when minted in open mode. */
  readonly tokenId?: string;
}

/**
 * Signs and checks stream tokens with one secret.
 *
 * @example
 * const signer = createStreamTokenSigner(randomBytes(32));
 * const token = signer.sign({ accountId: "acme", expiresAt: Date.now() + 60_000 });
 * signer.verify(token); // { accountId: "acme", expiresAt: … }
 */
export interface StreamTokenSigner {
  sign(grant: StreamGrant): string;
  /** The grant of an authentic, unexpired token, or undefined. */
  verify(token: string, now?: number): StreamGrant | undefined;
}

/** A signer with `secret` (at least 32 bytes), or a random one (tokens then die with the process). */
export function createStreamTokenSigner(secret: Uint8Array = randomBytes(32)): StreamTokenSigner {
  if (secret.length < 32) throw new RangeError("the stream token secret must be at least 32 bytes");
  const key = Buffer.from(secret);
  const mac = (payload: string): Buffer => createHmac("sha256", key).update(payload).digest();
  return {
    sign(grant) {
      const body = { a: grant.accountId, e: grant.expiresAt, ...(grant.runId === undefined ? {} : { r: grant.runId }), ...(grant.tokenId === undefined ? {} : { t: grant.tokenId }) };
      const payload = Buffer.from(JSON.stringify(body)).toString("base64url");
      return `${payload}.${mac(payload).toString("base64url")}`;
    },
    verify(token, now = Date.now()) {
      if (token.length > 4_096) return undefined;
      const dot = token.indexOf(".");
      if (dot <= 0) return undefined;
      const payload = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1), "base64url");
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      } catch {
        return undefined;
      }
      const { a, e, r, t } = body as { a?: unknown; e?: unknown; r?: unknown; t?: unknown };
      if (typeof a !== "string" || typeof e !== "number" || (r !== undefined && typeof r !== "string") || (t !== undefined && typeof t !== "string")) return undefined;
      if (e <= now) return undefined;
      return { accountId: a, expiresAt: e, ...(r === undefined ? {} : { runId: r }), ...(t === undefined ? {} : { tokenId: t }) };
    },
  };
}
