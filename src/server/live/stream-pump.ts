/**
 * The one loop behind every live stream (SSE and WebSocket alike): read after the client's
 * position until caught up, then wait for a wake-up and read again. Every read starts at the
 * stream's own position and returns events in order (from the live tail when it holds the next
 * one, else from the store: `stream-source.ts`), so the handoff from history to live has no gap
 * and no duplicate by construction, also for events written while history was being read: the
 * waiter is registered before the first read, so such a write marks it dirty and the loop reads
 * again. A run stream ends once its run's terminal event was sent and is in the store.
 */
import { isTerminalRunEvent } from "../../events/index.js";
import { isRunFinished, type EventStore } from "../../store/index.js";
import type { StreamHub } from "./stream-hub.js";
import type { StreamItem } from "./stream-item.js";
import type { StreamSource } from "./stream-source.js";


/** Where a stream's output goes (an SSE response, a WebSocket subscription). */
export interface StreamSink {
  /** Sends events; may wait (backpressure). `phase` is `history` until the stream first caught up. */
  send(items: readonly StreamItem[], phase: "history" | "live"): void | Promise<void>;
  /** Nothing happened for a heartbeat interval. */
  heartbeat(): void;
  /** The run finished and every one of its events was sent (run streams only). */
  end(runId: string, lastSeq: number): void;
  /**
   * The stream was resumed past the run's last event in the store (and in this server's tail):
   * nothing will ever follow the client's position, so it is told, with the stored last seq, and
   * the stream ends (run streams only).
   */
  cursorAhead(after: number, storedLastSeq: number): void;
}

/** Options of {@link pumpStream}. */
export interface PumpOptions {
  readonly store: EventStore;
  readonly hub: StreamHub;
  readonly source: StreamSource;
  /** The position to start after (seq or cursor). */
  readonly after: number;
  readonly sink: StreamSink;
  readonly signal: AbortSignal;
  readonly heartbeatMs: number;
}

/** Whether a page holds its run's terminal event. */
function endsRun(items: readonly StreamItem[]): boolean {
  for (const item of items) if (isTerminalRunEvent(item.event.type)) return true;
  return false;
}

/** The cursor_ahead error: the stream's position is past the run's last stored event. */
export function cursorAheadMessage(after: number, storedLastSeq: number): string {
  return `the stream resumed after seq ${after}, but the store holds this run only to seq ${storedLastSeq}: events shown before were lost (a crash of a server in live mode "accepted") or the cursor is not this run's; resume from lastSeq`;
}

/** How a pump stopped: the run ended, the client went away (abort), or it resumed past the trail. */
export type PumpOutcome =
  | { readonly kind: "ended"; readonly lastSeq: number }
  | { readonly kind: "aborted"; readonly after: number }
  | { readonly kind: "cursor_ahead"; readonly after: number; readonly storedLastSeq: number };

/**
 * Runs a stream until its run ends or `signal` aborts. Errors of the store propagate.
 *
 * @example
 * await pumpStream({ store, hub, source: runSource(store, "acme", runId, 500), after: 0, sink, signal, heartbeatMs: 15_000 });
 */
export async function pumpStream(options: PumpOptions): Promise<PumpOutcome> {
  const { source, sink, signal, hub } = options;
  const waiter = hub.register(source.accountId, source.runId);
  let after = options.after;
  let live = false;
  let sawEnd = false;
  let first = true;
  try {
    for (;;) {
      if (signal.aborted) return { kind: "aborted", after };
      waiter.dirty = false;
      // Nothing follows a run's terminal event: once it was sent, only `end` is left to wait for.
      if (!sawEnd) {
        // A live stream goes round this loop once per wake-up, so it allocates as little as it can:
        // a page from the live tail is not wrapped in a promise, and nothing here makes a closure.
        const read = source.read(after);
        const page = read instanceof Promise ? await read : read;
        if (signal.aborted) return { kind: "aborted", after };
        if (first && page.items.length === 0 && after > 0 && source.known !== undefined) {
          // Checked once, on the first read of a resumed stream: afterwards the stream's position
          // only ever comes from what it read.
          const { held, stored } = await source.known();
          if (after > held) {
            sink.cursorAhead(after, stored);
            return { kind: "cursor_ahead", after, storedLastSeq: stored };
          }
        }
        first = false;
        if (page.items.length > 0) {
          const sent = sink.send(page.items, live ? "live" : "history");
          if (sent !== undefined) await sent;
          if (source.runId !== undefined) sawEnd = endsRun(page.items);
        }
        after = page.advance;
        if (page.more) continue;
        if (source.runId !== undefined && !sawEnd && (!live || page.items.length === 0)) {
          // A client resuming after the run's last event never sees the terminal event again. Asked
          // on the first catch-up and on wake-ups that brought nothing (the run may have ended
          // since, committed by this or another process), not on every live page.
          const run = await options.store.getRun(source.accountId, source.runId);
          if (run !== undefined && isRunFinished(run.status) && after >= run.lastSeq) sawEnd = true;
        }
      }
      // The terminal event may have been sent before its commit (an accepted event): `end` waits
      // until it is stored; the commit's wake-up brings the loop back here, without a read.
      if (sawEnd && source.runId !== undefined && (source.stored === undefined || (await source.stored(after)))) {
        sink.end(source.runId, after);
        return { kind: "ended", lastSeq: after };
      }
      live = true;
      let outcome = await waiter.wait(options.heartbeatMs, signal);
      while (outcome === "timeout") {
        sink.heartbeat();
        outcome = await waiter.wait(options.heartbeatMs, signal);
      }
      if (outcome === "aborted") return { kind: "aborted", after };
    }
  } finally {
    waiter.dispose();
  }
}
