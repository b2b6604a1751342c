/**
 * Reading a stored run back: page by page (never the whole run in memory), and re-emitting it
 * onto a bus at its original pace or faster.
 */
import type { EventInput, RuntrailEvent } from "../events/index.js";
import type { EventBus } from "../bus/index.js";
import { projectRun, type RunState } from "../projections/index.js";
import type { EventStore, StoredEvent } from "./store-types.js";

/**
 * Every stored event of a run after `after`, fetched `pageSize` at a time.
 *
 * @example
 * for await (const { event } of iterateRun(store, "default", "run-1")) console.log(event.seq);
 */
export async function* iterateRun(
  store: EventStore,
  accountId: string,
  runId: string,
  options: { after?: number; pageSize?: number } = {},
): AsyncGenerator<StoredEvent, void, undefined> {
  let after = options.after ?? 0;
  for (;;) {
    const page = await store.readRun(accountId, runId, { after, limit: options.pageSize ?? 1_000 });
    yield* page.items;
    if (page.next === undefined) return;
    after = page.next;
  }
}

/** Options of {@link replayRun}. */
export interface ReplayOptions {
  /** 1 replays at the original pace, 10 ten times faster; `Infinity` (default) without waiting. */
  speed?: number;
  /** Emit under this run id instead of the stored one (replaying next to the original). */
  asRunId?: string;
  /** Stops the replay between events. */
  signal?: AbortSignal;
}

/** Envelope fields the bus stamps anew on re-emission. */
type Stamped = "id" | "seq" | "ts";

/**
 * Re-emits a stored run's events onto `bus`, in seq order, pausing between them as the original
 * did divided by `speed`. The bus stamps fresh `id`/`seq`/`ts`; on a bus that has not seen the run,
 * seqs come out as stored. Honours the bus's backpressure. Returns how many events it emitted.
 *
 * @example
 * await replayRun(store, "default", "run-1", createBus(), { speed: 10 });
 */
export async function replayRun(
  store: EventStore,
  accountId: string,
  runId: string,
  bus: EventBus,
  options: ReplayOptions = {},
): Promise<number> {
  const speed = options.speed ?? Infinity;
  if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
  let previousTs: number | undefined;
  let emitted = 0;
  for await (const { event } of iterateRun(store, accountId, runId)) {
    options.signal?.throwIfAborted();
    if (previousTs !== undefined && Number.isFinite(speed)) {
      const wait = (event.ts - previousTs) / speed;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    previousTs = event.ts;
    const pressure = bus.emit(toInput(event, options.asRunId));
    if (pressure !== undefined) await pressure;
    emitted++;
  }
  return emitted;
}

function toInput(event: RuntrailEvent, asRunId: string | undefined): EventInput {
  const { id: _id, seq: _seq, ts: _ts, ...rest } = event as RuntrailEvent & Record<Stamped, unknown>;
  const input = rest as unknown as EventInput;
  return asRunId === undefined ? input : { ...input, runId: asRunId };
}

/**
 * A stored run's state as it was right after event `seq` (its last event when omitted): the
 * engine's own projection, fed from the store. A live run, a stored run and a replayed run answer
 * alike because all three are {@link projectRun} over the same events.
 *
 * @example
 * const atFive = await stateAt(store, "default", "run-1", 5);
 * atFive?.steps.load?.status // "completed"
 */
export async function stateAt(
  store: EventStore,
  accountId: string,
  runId: string,
  seq: number = Number.POSITIVE_INFINITY,
): Promise<RunState | undefined> {
  let state: RunState | undefined;
  let after = 0;
  // Page by page: one projection (and one copy) per page, never the whole run in memory.
  while (after < seq) {
    const page = await store.readRun(accountId, runId, { after, limit: Math.min(1_000, seq - after) });
    state = projectRun(
      page.items.map((stored) => stored.event),
      state,
    );
    if (page.next === undefined) break;
    after = page.next;
  }
  return state;
}
