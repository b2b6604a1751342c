/**
 * `GET /api/runs/:runId/events?types=…`: a page of one run's events of some types. The types are
 * parsed as every filter parses them (the bus's `compileTypePatterns`: exact types and globs such
 * as `step.*`). Exact types go to the store's query; a glob is applied to the run's events read in
 * seq order, a bounded number of them per request.
 */
import { compileTypePatterns } from "../../bus/index.js";
import type { EventStore } from "../../store/index.js";
import type { RuntrailEvent } from "../../events/index.js";

/** Events scanned per store read when a glob filters, and the most read for one page. */
const SCAN_PAGE = 1_000;
const MAX_SCANNED = 20_000;

/** A page of events and the seq to pass as `after` for the next one (absent at the end). */
export interface RunEventsPage {
  readonly events: readonly RuntrailEvent[];
  readonly next?: number;
}

/**
 * The run's events after seq `after` whose type matches one of `types` (exact or globs).
 *
 * @example
 * const page = await readRunEventsOfTypes(store, "acme", "run-1", { after: 0, limit: 100, types: ["step.*"] });
 */
export async function readRunEventsOfTypes(
  store: EventStore,
  accountId: string,
  runId: string,
  options: { readonly after: number; readonly limit: number; readonly types: readonly string[] },
): Promise<RunEventsPage> {
  const { after, limit, types } = options;
  const matcher = compileTypePatterns(types);
  if (matcher === undefined) return plainPage(store, accountId, runId, after, limit);
  if (types.every((type) => !type.includes("*"))) return exactPage(store, accountId, runId, after, limit, types);
  const events: RuntrailEvent[] = [];
  let cursor = after;
  for (let scanned = 0; scanned < MAX_SCANNED; ) {
    const page = await store.readRun(accountId, runId, { after: cursor, limit: SCAN_PAGE });
    for (const { event } of page.items) {
      cursor = event.seq;
      if (!matcher(event)) continue;
      events.push(event);
      if (events.length === limit) return { events, next: event.seq };
    }
    scanned += page.items.length;
    if (page.next === undefined || page.items.length === 0) return { events };
  }
  // Many events scanned, too few matched: the client goes on from where the scan stopped.
  return { events, next: cursor };
}

async function plainPage(store: EventStore, accountId: string, runId: string, after: number, limit: number): Promise<RunEventsPage> {
  const page = await store.readRun(accountId, runId, { after, limit });
  const events = page.items.map((item) => item.event);
  return page.next === undefined ? { events } : { events, next: page.next };
}

async function exactPage(store: EventStore, accountId: string, runId: string, after: number, limit: number, types: readonly string[]): Promise<RunEventsPage> {
  // A type filter reads in cursor order, which within one run is seq order: start just before
  // the run's first event after `after`.
  const first = (await store.readRun(accountId, runId, { after, limit: 1 })).items[0];
  if (first === undefined) return { events: [] };
  const page = await store.findEvents(accountId, { runId, type: types, limit, afterCursor: first.cursor - 1 });
  const events = page.items.map((item) => item.event);
  const last = events.at(-1);
  return page.next === undefined || last === undefined ? { events } : { events, next: last.seq };
}
