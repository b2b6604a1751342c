/**
 * What a stream reads: a run's events in seq order, or an account's in cursor order, both from the
 * store, a page at a time. A page says how far it advanced even when the stream's own filter kept
 * none of its events, so a filtered stream never re-reads what it has skipped.
 */
import { compileTypePatterns } from "../bus/filter.js";
import type { RuntrailEvent } from "../events/catalog.js";
import type { EventStore } from "../store/store-types.js";

/** An event and its place in the stream: seq (run stream) or cursor (account stream). */
export interface StreamItem {
  readonly id: number;
  readonly event: RuntrailEvent;
}

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
  read(after: number): Promise<SourcePage>;
}

/** The filter of an account stream. */
export interface AccountStreamFilter {
  /** Exact types or globs (`step.*`). */
  readonly types?: readonly string[];
  readonly workflow?: readonly string[];
  readonly runId?: string;
}

/**
 * A run's events after a seq.
 *
 * @example
 * const page = await runSource(store, "acme", "run-1", 500).read(0);
 */
export function runSource(store: EventStore, accountId: string, runId: string, pageSize: number): StreamSource {
  return {
    accountId,
    runId,
    async read(after) {
      const page = await store.readRun(accountId, runId, { after, limit: pageSize });
      const items = page.items.map(({ event }) => ({ id: event.seq, event }));
      return { items, advance: items.at(-1)?.id ?? after, more: page.next !== undefined };
    },
  };
}

/**
 * An account's events after a cursor, filtered. Exact types go to the store's query; globs and
 * the workflow are applied here (the store's `findEvents` has no workflow filter).
 *
 * @example
 * const page = await accountSource(store, "acme", { types: ["step.*"] }, 500).read(0);
 */
export function accountSource(store: EventStore, accountId: string, filter: AccountStreamFilter, pageSize: number): StreamSource {
  const types = filter.types ?? [];
  const exactOnly = types.length > 0 && types.every((type) => !type.includes("*"));
  const typeMatch = types.length > 0 && !exactOnly ? compileTypePatterns(types) : undefined;
  const workflows = filter.workflow === undefined || filter.workflow.length === 0 ? undefined : new Set(filter.workflow);
  return {
    accountId,
    async read(after) {
      const page = await store.findEvents(accountId, {
        afterCursor: after,
        limit: pageSize,
        ...(exactOnly ? { type: types } : {}),
        ...(filter.runId === undefined ? {} : { runId: filter.runId }),
      });
      const items: StreamItem[] = [];
      for (const { cursor, event } of page.items) {
        if (typeMatch !== undefined && !typeMatch(event)) continue;
        if (workflows !== undefined && !workflows.has(event.workflow.name)) continue;
        items.push({ id: cursor, event });
      }
      return { items, advance: page.items.at(-1)?.cursor ?? after, more: page.next !== undefined };
    },
  };
}
