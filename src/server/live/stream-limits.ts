/**
 * Caps on open streams (SSE streams and WebSocket connections alike): per token and per server.
 * Each open stream holds at most about a page of events and a socket, so a cap on their number is
 * a cap on what clients can make the server hold. A stream over a cap is refused before it opens
 * (429), with a body that names the cap.
 */
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** A cap that refused a stream: which one, and its value. */
export interface StreamCapReached {
  readonly cap: "token" | "server";
  readonly limit: number;
}

/** A taken slot; `release` is idempotent. */
export interface StreamSlot {
  release(): void;
}

/** The refusal's `{ error, message, field? }` body (`field`: the credential a per-token cap counts). */
export function streamCapBody(reached: StreamCapReached, field: string | undefined): { error: string; message: string; field?: string } {
  const message =
    reached.cap === "token"
      ? `this token has ${reached.limit} open streams, the most one token may hold (live.maxStreamsPerToken); close one, then retry`
      : `the server has ${reached.limit} open streams, the most it holds (live.maxStreams); retry later`;
  return { error: "too_many_streams", message, ...(reached.cap === "token" && field !== undefined ? { field } : {}) };
}

/**
 * Which token a stream request counts against, and the request field it came in: the Bearer API
 * token, else the `?token=` stream token, else open mode (every request is one principal). Tokens
 * are kept as hashes, never as sent.
 */
export function streamKeyOf(headers: IncomingHttpHeaders, queryToken: string | undefined): { key: string; field: string | undefined } {
  const hash = (text: string): string => createHash("sha256").update(text).digest("base64url");
  const authorization = headers.authorization;
  if (typeof authorization === "string" && authorization !== "") return { key: `api:${hash(authorization)}`, field: "headers.authorization" };
  if (queryToken !== undefined) return { key: `stream:${hash(queryToken)}`, field: "querystring.token" };
  return { key: "open", field: undefined };
}

/**
 * Counts open streams by token and in all.
 *
 * @example
 * const limits = new StreamLimits(256, 4_096);
 * const slot = limits.take("api:…");
 * if ("cap" in slot) reply.code(429);
 * else response.on("close", () => slot.release());
 */
export class StreamLimits {
  private readonly byKey = new Map<string, number>();
  private total = 0;

  constructor(
    readonly maxPerToken: number,
    readonly maxTotal: number,
  ) {}

  /** A slot for one more stream of `key`, or the cap it would pass. */
  take(key: string): StreamSlot | StreamCapReached {
    const held = this.byKey.get(key) ?? 0;
    if (this.total >= this.maxTotal) return { cap: "server", limit: this.maxTotal };
    if (held >= this.maxPerToken) return { cap: "token", limit: this.maxPerToken };
    this.byKey.set(key, held + 1);
    this.total++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.byKey.get(key) ?? 1) - 1;
        if (left === 0) this.byKey.delete(key);
        else this.byKey.set(key, left);
      },
    };
  }

  /** Streams open now. */
  get open(): number {
    return this.total;
  }
}
