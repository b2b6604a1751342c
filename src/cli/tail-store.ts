/**
 * Following a store directly (no server): a run's events by seq, or the account's by global
 * cursor, read a page at a time and re-read every `pollMs` once caught up. The store's order is
 * the commit order, so what this yields has no gap and no duplicate.
 */
import { abortableSleep } from "../common/index.js";
import { isTerminalRunEvent } from "../events/index.js";
import type { EventStore, StoredEvent } from "../store/index.js";

/** Options of {@link followStore}. */
export interface StoreFollowOptions {
  readonly account: string;
  /** A run (its events by seq), or undefined for the whole account (by cursor). */
  readonly runId?: string;
  readonly after: number;
  readonly pollMs: number;
  readonly signal: AbortSignal;
}

const PAGE = 500;

/**
 * Stored events after `after`, then new ones as they are committed, until the run's terminal
 * event (a run) or the abort (the account).
 *
 * @example
 * for await (const stored of followStore(store, { account: "default", runId, after: 0, pollMs: 200, signal })) …
 */
export async function* followStore(store: EventStore, options: StoreFollowOptions): AsyncGenerator<StoredEvent, void, undefined> {
  let after = options.after;
  const { runId } = options;
  while (!options.signal.aborted) {
    const page = runId === undefined ? await store.findEvents(options.account, { afterCursor: after, limit: PAGE }) : await store.readRun(options.account, runId, { after, limit: PAGE });
    for (const item of page.items) {
      after = runId === undefined ? item.cursor : item.event.seq;
      yield item;
      if (runId !== undefined && isTerminalRunEvent(item.event.type)) return;
    }
    if (page.items.length < PAGE) await abortableSleep(options.pollMs, options.signal);
  }
}
