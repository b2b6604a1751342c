/**
 * What a stream reads: a run's events in seq order, or an account's in cursor order, a page at a
 * time. A run stream takes what it can from the live tail (events this process's writer just
 * accepted or committed) and reads the store for the rest; an account stream always reads the
 * store (cursors are not provably consecutive: sequences skip on rollback, other processes write
 * too). Store reads are shared by the streams that ask for the same page at once
 * (`stream-reads.ts`), and each event is serialised once per read, not once per stream. A page
 * says how far it advanced even when the stream's own filter kept none of its events, so a
 * filtered stream never re-reads what it has skipped.
 */
import { compileTypePatterns } from "../../bus/index.js";
import type { RuntrailEvent } from "../../events/index.js";
import type { EventStore, StoredEvent } from "../../store/index.js";
import type { LiveTail } from "./live-tail.js";
import type { StreamItem } from "./stream-item.js";
import type { SharedReads } from "./stream-reads.js";


/** One read. */
export interface SourcePage {
  readonly items: readonly StreamItem[];
  /** The position after this page (the last id read, kept or not); `after` when nothing was read. */
  readonly advance: number;
  /** Whether more may be read right away (the page was full). */
  readonly more: boolean;
}

/** A stream's source. */
export interface StreamSource {
  readonly accountId: string;
  /** Set for a run stream: the run's end ends the stream. */
  readonly runId?: string;
  /** A page after `after`: at once when it comes from memory (the live tail), else a promise. */
  read(after: number): SourcePage | Promise<SourcePage>;
  /**
   * Run streams: whether the run's events through `seq` are committed to the store. A run stream
   * may send events before they are committed (the live tail's accepted events); it sends `end`
   * only once this holds for the run's last event, so a client told "ended" finds the whole
   * trail in the store.
   */
  stored?(seq: number): Promise<boolean>;
  /**
   * Run streams: the highest seq this server can show of the run, and the highest the store
   * holds. A resumed stream whose position is past the first is ahead of the trail (a client was
   * shown events a crash lost, or the cursor is not this run's) and ends with `cursor_ahead`.
   */
  known?(): Promise<{ readonly held: number; readonly stored: number }>;
}

/** Where sources read from (the server context has all of it). */
export interface StreamFeed {
  readonly store: EventStore;
  readonly tail: LiveTail;
  readonly reads: SharedReads;
  /** Events per read. */
  readonly pageSize: number;
}

/** The filter of an account stream. */
export interface AccountStreamFilter {
  /** Exact types or globs (`step.*`). */
  readonly types?: readonly string[];
  readonly workflow?: readonly string[];
  readonly runId?: string;
}

const toItem = (id: number, event: RuntrailEvent): StreamItem => ({ id, event, body: JSON.stringify(event) });

/**
 * A run's events after a seq: from the live tail when it holds the next one, else from the store.
 *
 * @example
 * const page = await runSource(ctx.live, "acme", "run-1").read(0);
 */
export function runSource(feed: StreamFeed, accountId: string, runId: string): StreamSource {
  const { store, tail, reads, pageSize } = feed;
  return {
    accountId,
    runId,
    read(after) {
      const slice = tail.take(accountId, runId, after, pageSize);
      if (slice !== undefined) return { items: slice.items, advance: slice.items.at(-1)!.id, more: slice.more };
      return reads.read(JSON.stringify(["run", accountId, runId, after]), async () => {
        const page = await store.readRun(accountId, runId, { after, limit: pageSize });
        const items = page.items.map(({ event }) => toItem(event.seq, event));
        const advance = items.at(-1)?.id ?? after;
        // The tail may already hold what follows the store's last event (accepted, not committed).
        return { items, advance, more: page.next !== undefined || tail.holdsAfter(accountId, runId, advance) };
      });
    },
    async stored(seq) {
      const committed = tail.committedThrough(accountId, runId);
      if (committed !== undefined && committed >= seq) return true;
      return (await store.lastSeq(accountId, runId)) >= seq;
    },
    async known() {
      const stored = await store.lastSeq(accountId, runId);
      return { held: Math.max(stored, tail.heldThrough(accountId, runId)), stored };
    },
  };
}

/**
 * An account's events after a cursor, filtered. Exact types go to the store's query; globs and
 * the workflow are applied here (the store's `findEvents` has no workflow filter).
 *
 * @example
 * const page = await accountSource(ctx.live, "acme", { types: ["step.*"] }).read(0);
 */
export function accountSource(feed: StreamFeed, accountId: string, filter: AccountStreamFilter): StreamSource {
  const { store, reads, pageSize } = feed;
  const types = filter.types ?? [];
  const exactOnly = types.length > 0 && types.every((type) => !type.includes("*"));
  const typeMatch = types.length > 0 && !exactOnly ? compileTypePatterns(types) : undefined;
  const workflows = filter.workflow === undefined || filter.workflow.length === 0 ? undefined : new Set(filter.workflow);
  const keep = ({ event }: StoredEvent): boolean => (typeMatch === undefined || typeMatch(event)) && (workflows === undefined || workflows.has(event.workflow.name));
  const filterKey = JSON.stringify([types, filter.workflow ?? [], filter.runId ?? null]);
  return {
    accountId,
    read(after) {
      return reads.read(`["account",${JSON.stringify(accountId)},${filterKey},${after}]`, async () => {
        const page = await store.findEvents(accountId, {
          afterCursor: after,
          limit: pageSize,
          ...(exactOnly ? { type: types } : {}),
          ...(filter.runId === undefined ? {} : { runId: filter.runId }),
        });
        const items = page.items.filter(keep).map(({ cursor, event }) => toItem(cursor, event));
        return { items, advance: page.items.at(-1)?.cursor ?? after, more: page.next !== undefined };
      });
    },
  };
}
