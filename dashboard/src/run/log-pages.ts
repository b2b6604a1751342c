/**
 * Where the event log's rows come from, without holding the run: the whole trail as pages of
 * 200 events by seq (row i is seq i + 1), read when they scroll into view and dropped when far
 * from it (at most {@link MAX_PAGES} kept); or, with a filter, the matching events read forward
 * page by page as the list is scrolled. Live events are added to the page they belong to.
 */
import { api } from "../api/api-client.js";
import type { EventsPage, RuntrailEvent } from "../api/api-types.js";

export const PAGE = 200;
export const MAX_PAGES = 30;

export interface LogSource {
  /** Rows the list has (the run's last seq, or the filtered rows read so far). */
  count(): number;
  row(index: number): RuntrailEvent | undefined;
  /** Reads what rows `first`..`last` need. */
  ensure(first: number, last: number): void;
  /** Live events, in seq order. */
  append(events: readonly RuntrailEvent[]): void;
  /** Event reads made so far (tests count them). */
  readonly reads: number;
}

const eventsOf = (runId: string, query: Record<string, number | readonly string[] | undefined>) =>
  api<EventsPage>(`/runs/${encodeURIComponent(runId)}/events`, { query });

/** Pages read ahead (by run and first seq), taken by the first {@link seqPages} that wants them. */
const ahead = new Map<string, Promise<EventsPage>>();

/**
 * Reads the pages that hold the run's latest events now, while the rest of the view loads, so
 * the log opens at the end without a round trip of its own.
 */
export function prefetchLatest(runId: string, lastSeq: number): void {
  const last = Math.floor(Math.max(0, lastSeq - 1) / PAGE);
  for (const p of [last - 1, last]) {
    if (p < 0) continue;
    const read = eventsOf(runId, { after: p * PAGE, limit: PAGE });
    read.catch(() => undefined);
    ahead.set(`${runId}:${p}`, read);
  }
}

/**
 * The latest pages, from what the run's overview brought (`tail`: the events after a page
 * boundary) when it did, else read now ({@link prefetchLatest}).
 */
export function seedLatest(runId: string, lastSeq: number, tail: { readonly after: number; readonly events: readonly RuntrailEvent[] } | undefined): void {
  if (tail === undefined || tail.after % PAGE !== 0) {
    prefetchLatest(runId, lastSeq);
    return;
  }
  for (let p = tail.after / PAGE; p * PAGE < lastSeq; p++) {
    const events = tail.events.filter((e) => e.seq > p * PAGE && e.seq <= (p + 1) * PAGE);
    ahead.set(`${runId}:${p}`, Promise.resolve((p + 1) * PAGE < lastSeq ? { events, next: (p + 1) * PAGE } : { events }));
  }
}

function readPage(runId: string, p: number): Promise<EventsPage> {
  const key = `${runId}:${p}`;
  const early = ahead.get(key);
  ahead.delete(key);
  return early ?? eventsOf(runId, { after: p * PAGE, limit: PAGE });
}

/** The whole trail by seq. `lastSeq` grows with live events. */
export function seqPages(runId: string, lastSeq: number, changed: () => void): LogSource {
  const pages = new Map<number, RuntrailEvent[]>();
  const loading = new Set<number>();
  let last = lastSeq;
  const source = {
    reads: 0,
    count: () => last,
    row(index: number) {
      return pages.get(Math.floor(index / PAGE))?.[index % PAGE];
    },
    ensure(first: number, lastRow: number) {
      const from = Math.floor(Math.max(0, first) / PAGE);
      const to = Math.floor(Math.max(0, Math.min(lastRow, last - 1)) / PAGE);
      for (let p = from; p <= to; p++) {
        const have = pages.get(p);
        const wanted = Math.min(PAGE, last - p * PAGE);
        if ((have !== undefined && have.length >= wanted) || loading.has(p)) continue;
        loading.add(p);
        source.reads += 1;
        readPage(runId, p)
          .then((page) => {
            const kept = pages.get(p);
            if (kept === undefined || kept.length < page.events.length) pages.set(p, [...page.events]);
            changed();
          })
          .catch(() => undefined)
          .finally(() => loading.delete(p));
      }
      // Keep the pages nearest the view; the rest go, so the page's memory stays bounded.
      if (pages.size > MAX_PAGES) {
        const far = [...pages.keys()].sort((a, b) => Math.abs(b - from) - Math.abs(a - from));
        for (const p of far.slice(0, pages.size - MAX_PAGES)) pages.delete(p);
      }
    },
    append(events: readonly RuntrailEvent[]) {
      for (const e of events) {
        const index = e.seq - 1;
        const p = Math.floor(index / PAGE);
        const page = pages.get(p) ?? (index % PAGE === 0 ? [] : undefined);
        if (page !== undefined && page.length === index % PAGE) {
          page.push(e);
          pages.set(p, page);
        }
        last = Math.max(last, e.seq);
      }
      changed();
    },
  };
  return source;
}

/** Events matching `keep`, read forward from seq 1; `types` (exact) narrows the reads. */
export function filteredRows(runId: string, types: readonly string[] | undefined, keep: (e: RuntrailEvent) => boolean, changed: () => void): LogSource {
  const rows: RuntrailEvent[] = [];
  let after = 0;
  let done = false;
  let loading = false;
  const source = {
    reads: 0,
    count: () => rows.length + (done ? 0 : 1),
    row: (index: number) => rows[index],
    ensure(_first: number, lastRow: number) {
      if (done || loading || lastRow < rows.length - 50) return;
      loading = true;
      source.reads += 1;
      eventsOf(runId, { after, limit: 1000, types })
        .then((page) => {
          for (const e of page.events) if (keep(e)) rows.push(e);
          after = page.next ?? page.events.at(-1)?.seq ?? after;
          done = page.next === undefined;
          loading = false;
          changed();
        })
        .catch(() => {
          loading = false;
        });
    },
    append(events: readonly RuntrailEvent[]) {
      // Until the reads reach the end, they will find these events themselves.
      if (!done) return;
      for (const e of events) if (e.seq > after && keep(e) && (types === undefined || types.includes(e.type))) rows.push(e);
      after = Math.max(after, events.at(-1)?.seq ?? after);
      changed();
    },
  };
  return source;
}
