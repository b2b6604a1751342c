/**
 * The live tail: the events of this process's store writer, newest last, per run of each account,
 * as ready-to-send items (seq, event, stored JSON body). A woken run stream whose next seq
 * (`after + 1`) is in its run's tail takes its events from here instead of reading the store.
 *
 * Two ways in: `accept` (the writer has taken the event to store, as it will be stored; not yet
 * committed) and `commit` (the writer committed a batch). In the server's default live mode,
 * `committed`, the tail is fed by `commit` alone; in `accepted` mode every event is accepted
 * first and `commit` only marks it committed.
 *
 * Why that is gap-free: a run's tail only ever holds consecutive seqs. An event that does not
 * follow the run's last one (the run was also written by another process, the writer stores a
 * filtered subset, a batch was missed) starts the run's tail afresh, so "the tail holds
 * after+1 … hi" proves that nothing lies in between. Events leave a run's tail only once they
 * are committed, so whatever lies before the tail's first event is in the store (or about to be,
 * after a fresh start: then `commit` names the run, and its streams read the store again).
 * Everything else (a stream behind the tail, a stream already at the tail's end woken by another
 * process's commit) reads the store.
 * Tenancy: runs are keyed by account and run id together; a stream asks with its own account.
 *
 * Bounds (memory): at most `maxEventsPerRun` committed events per run (its oldest dropped first)
 * and `maxBytes` of body text over all runs (whole runs dropped, finished ones first, then the
 * least recently written); a finished run's events are dropped `finishedGraceMs` after its
 * terminal event was committed (checked at each commit). Events not yet committed are never
 * dropped: the writer holds them too, and bounds them (`maxPending`). Each item also holds the
 * event object its body was made from and, once sent over WebSocket, the encoded message, so the
 * memory used is about three times the body text.
 */
import { isTerminalRunEvent } from "../../events/index.js";
import { addRun, type CommittedBatch, type PreparedEvent } from "../../store/index.js";
import type { StreamItem } from "./stream-item.js";

/** Options of {@link LiveTail}. */
export interface LiveTailOptions {
  /**
   * Most committed events kept per run. Default 500 (a page of a stream, by default): enough for
   * streams that are caught up or a page behind; older events are read from the store. Every event
   * kept a while is copied by the garbage collector as it ages, so a larger tail costs latency
   * (measured: 10,000 per run doubled the GC pauses of a run streamed at 10,000 events/s).
   */
  readonly maxEventsPerRun?: number;
  /** Most body text kept over all runs, in characters of JSON (about bytes). Default 32 MiB. */
  readonly maxBytes?: number;
  /** How long a finished run's events stay, for streams still catching up. Default 5,000 ms. */
  readonly finishedGraceMs?: number;
  /** Default `Date.now`; tests inject their own. */
  readonly clock?: () => number;
}

/** What {@link LiveTail.take} found: events from `after + 1` on, and whether the tail holds more. */
export interface TailSlice {
  readonly items: readonly StreamItem[];
  readonly more: boolean;
}

/** What a tail holds now. */
export interface LiveTailStats {
  readonly runs: number;
  readonly events: number;
  readonly bytes: number;
}

/** Which runs' streams a commit must wake: runs whose committed events they may not have seen in the tail. */
export type TailCommitNotice = Map<string, Set<string>>;

class RunTail {
  /** Kept items are `items[start…]`, consecutive seqs. */
  items: StreamItem[] = [];
  start = 0;
  bytes = 0;
  /** The highest seq of this run known committed (0: none); items up to it may be dropped. */
  committed = 0;
  finishedAt: number | undefined;
  /** The commit that last moved this run to the end of the eviction order. */
  touched = 0;

  get count(): number {
    return this.items.length - this.start;
  }

  get hi(): number {
    return this.items.at(-1)?.id ?? 0;
  }

  get lo(): number {
    return this.items[this.start]?.id ?? 0;
  }

  /** Whether the oldest kept item may be dropped (it is committed). */
  get droppable(): boolean {
    return this.count > 0 && this.lo <= this.committed;
  }
}

/** One key per (account, run): the length prefix makes it unambiguous whatever the ids contain. */
const keyOf = (accountId: string, runId: string): string => `${accountId.length}:${accountId}${runId}`;

/**
 * A bounded in-memory tail of the writer's events, fed by `writer.onAccept` and `writer.onCommit`.
 *
 * @example
 * const tail = new LiveTail({ maxEventsPerRun: 5_000 });
 * writer.onAccept((event) => tail.accept(event));
 * writer.onCommit((batch) => tail.commit(batch));
 * tail.take("acme", "run-1", 41, 500); // { items: [seq 42, …], more } or undefined: read the store
 */
export class LiveTail {
  private readonly maxEventsPerRun: number;
  private readonly maxBytes: number;
  private readonly finishedGraceMs: number;
  private readonly clock: () => number;
  /** Insertion order is eviction order: a run is moved to the end when it is written. */
  private readonly runs = new Map<string, RunTail>();
  /** Finished runs in the order they finished. */
  private readonly finished = new Map<string, RunTail>();
  private bytes = 0;
  private events = 0;
  private commits = 0;

  constructor(options: LiveTailOptions = {}) {
    this.maxEventsPerRun = Math.max(1, options.maxEventsPerRun ?? 500);
    this.maxBytes = Math.max(0, options.maxBytes ?? 32 * 1024 * 1024);
    this.finishedGraceMs = Math.max(0, options.finishedGraceMs ?? 5_000);
    this.clock = options.clock ?? Date.now;
  }

  /** Adds an event the writer has taken to store, not yet committed. */
  accept({ event, body }: PreparedEvent): void {
    const key = keyOf(event.accountId, event.runId);
    // Moved in the eviction order once per commit, not per event.
    this.push(this.touch(key, this.commits), event, body);
  }

  /**
   * Marks a committed batch (events in commit order, as stored) committed, adding the events the
   * tail was not given by `accept`. Returns the runs whose streams must be woken to read again:
   * those with events the tail did not hold (added now, or only in the store) and those that
   * finished, for streams waiting to end.
   */
  commit(batch: CommittedBatch): TailCommitNotice {
    const now = this.clock();
    const commit = ++this.commits;
    const wake: TailCommitNotice = new Map();
    let key = "";
    let run: RunTail | undefined;
    for (const { event, body } of batch.events) {
      const next = keyOf(event.accountId, event.runId);
      if (run === undefined || next !== key) {
        key = next;
        run = this.touch(key, commit);
      }
      const held = run.count > 0 && event.seq >= run.lo && event.seq <= run.hi;
      // An event older than the tail (its run started afresh since) stays in the store only.
      if (!held && (run.count === 0 || event.seq > run.hi)) this.push(run, event, body);
      if (event.seq > run.committed) run.committed = event.seq;
      const terminal = isTerminalRunEvent(event.type);
      if (terminal) {
        run.finishedAt = now;
        this.finished.set(key, run);
      } else if (run.finishedAt !== undefined) {
        run.finishedAt = undefined;
        this.finished.delete(key);
      }
      if (!held || terminal) addRun(wake, event.accountId, event.runId);
      this.trim(run);
    }
    this.evict(now);
    return wake;
  }

  /** Whether `take` would give the run's events after `after` (the tail holds `after + 1`). */
  holdsAfter(accountId: string, runId: string, after: number): boolean {
    return this.holding(accountId, runId, after) !== undefined;
  }

  /** Whether the tail holds any event of the run (it may not be committed yet). */
  holds(accountId: string, runId: string): boolean {
    return (this.runs.get(keyOf(accountId, runId))?.count ?? 0) > 0;
  }

  /** The highest seq of the run that the tail knows committed, or `undefined` if the run is not here. */
  committedThrough(accountId: string, runId: string): number | undefined {
    return this.runs.get(keyOf(accountId, runId))?.committed;
  }

  /** The highest seq of the run the tail holds (accepted or committed), or 0 if none. */
  heldThrough(accountId: string, runId: string): number {
    return this.runs.get(keyOf(accountId, runId))?.hi ?? 0;
  }

  /**
   * The run's events from seq `after + 1` on (at most `limit`), or `undefined` when the tail cannot
   * prove it holds them (the run is not here, `after + 1` was dropped, or nothing follows `after`):
   * the caller then reads the store.
   */
  take(accountId: string, runId: string, after: number, limit: number): TailSlice | undefined {
    const run = this.holding(accountId, runId, after);
    if (run === undefined) return undefined;
    const from = run.start + (after + 1 - run.lo);
    const to = Math.min(run.items.length, from + Math.max(1, limit));
    return { items: run.items.slice(from, to), more: to < run.items.length };
  }

  stats(): LiveTailStats {
    return { runs: this.runs.size, events: this.events, bytes: this.bytes };
  }

  /** The run's tail if it holds `after + 1` (and so the events after `after`). */
  private holding(accountId: string, runId: string, after: number): RunTail | undefined {
    const run = this.runs.get(keyOf(accountId, runId));
    return run !== undefined && run.count > 0 && after + 1 >= run.lo && after < run.hi ? run : undefined;
  }

  /** The run under `key`, created if new, moved to the end of the eviction order once per `commit`. */
  private touch(key: string, commit: number): RunTail {
    let run = this.runs.get(key);
    if (run === undefined) this.runs.set(key, (run = new RunTail()));
    else if (run.touched !== commit) {
      this.runs.delete(key);
      this.runs.set(key, run);
    }
    run.touched = commit;
    return run;
  }

  private push(run: RunTail, event: PreparedEvent["event"], body: string): void {
    if (run.count > 0 && event.seq !== run.hi + 1) this.clear(run);
    run.items.push({ id: event.seq, event, body });
    run.bytes += body.length;
    this.bytes += body.length;
    this.events++;
    this.trim(run);
  }

  /** Drops the run's oldest committed events past `maxEventsPerRun`. */
  private trim(run: RunTail): void {
    while (run.count > this.maxEventsPerRun && run.droppable) this.dropOldest(run);
  }

  private dropOldest(run: RunTail): void {
    const item = run.items[run.start]!;
    run.start++;
    run.bytes -= item.body.length;
    this.bytes -= item.body.length;
    this.events--;
    // Compacted now and then, so a long run costs O(1) per event and at most twice its bound.
    if (run.start >= 1_024 && run.start * 2 >= run.items.length) {
      run.items = run.items.slice(run.start);
      run.start = 0;
    }
  }

  private clear(run: RunTail): void {
    this.bytes -= run.bytes;
    this.events -= run.count;
    run.items = [];
    run.start = 0;
    run.bytes = 0;
  }

  private remove(key: string, run: RunTail): void {
    this.clear(run);
    this.runs.delete(key);
    this.finished.delete(key);
  }

  private evict(now: number): void {
    for (const [key, run] of this.finished) {
      if (run.finishedAt! + this.finishedGraceMs > now) break;
      this.remove(key, run);
    }
    if (this.bytes <= this.maxBytes) return;
    // Finished runs first, then the least recently written; a run with events not yet committed
    // loses only its committed ones, and the newest run keeps at least its last event.
    for (const order of [this.finished, this.runs]) {
      for (const [key, run] of order) {
        if (this.bytes <= this.maxBytes) return;
        const newest = run.touched === this.commits;
        if (run.committed >= run.hi && !newest) this.remove(key, run);
        else while (this.bytes > this.maxBytes && run.droppable && run.count > 1) this.dropOldest(run);
      }
    }
  }
}
