/**
 * The open streams (SSE responses, WebSocket connections) by the principal that opened them, so
 * that when its credentials stop holding (its API token revoked, open mode left) each is ended
 * with an explicit `token_revoked` message rather than left streaming.
 */
import type { Principal } from "./principal.js";

/** Ends a stream: sends `message` as its `token_revoked` error, then closes it. */
export type EndStream = (message: string) => void;

interface OpenStream {
  readonly principal: Principal;
  readonly end: EndStream;
}

/**
 * @example
 * const registry = new StreamRegistry();
 * const forget = registry.add(principal, (message) => sse.error("token_revoked", message));
 * registry.endWhere((p) => (p.tokenId === "abc" ? "token abc was revoked" : undefined));
 */
export class StreamRegistry {
  private readonly open = new Set<OpenStream>();

  /** How many streams are open. */
  get size(): number {
    return this.open.size;
  }

  /** Registers a stream; returns what forgets it (call it when the stream ends). */
  add(principal: Principal, end: EndStream): () => void {
    const entry: OpenStream = { principal, end };
    this.open.add(entry);
    return () => this.open.delete(entry);
  }

  /** Ends (and forgets) every stream for which `reasonFor` gives a message; returns how many. */
  endWhere(reasonFor: (principal: Principal) => string | undefined): number {
    let ended = 0;
    for (const entry of [...this.open]) {
      const reason = reasonFor(entry.principal);
      if (reason === undefined) continue;
      this.open.delete(entry);
      ended++;
      entry.end(reason);
    }
    return ended;
  }
}
