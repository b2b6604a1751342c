/**
 * The store writer: a lossless bus subscriber that writes events to a store in batches.
 *
 * Durability modes:
 * - `batched` (default): events are committed when `batchSize` of them are waiting or
 *   `flushIntervalMs` after the first of them arrived, whichever comes first. A crash loses at most
 *   the events not yet committed: those that arrived in the last `flushIntervalMs` (plus the time
 *   of one commit), and never more than `maxPending + bufferSize` events. What is stored has no
 *   gap: batches commit whole, in seq order per run.
 * - `sync`: producers emit through `writer.bus`, whose `emit` returns a promise that resolves only
 *   after the event is committed. A producer that awaits it (as `emit`'s contract asks) never runs
 *   ahead of the store: a crash loses nothing it was told was written. Concurrent producers share
 *   commits (group commit), so throughput degrades gracefully.
 *
 * When the store fails, the writer keeps the batch, reports the failure, and retries with
 * exponential backoff, forever: it never drops. Past `maxPending` events it stops reading the bus,
 * whose `block` subscription then makes producers wait (backpressure).
 */
import type { EventInput, RuntrailEvent } from "../events/catalog.js";
import type { EventBus } from "../bus/bus.js";
import { compileFilter, type EventFilter } from "../bus/filter.js";
import type { Subscription } from "../bus/subscription.js";
import { Queue } from "../bus/queue.js";
import { prepareEvent, type PayloadOptions } from "./store-payload.js";
import { projectBatch } from "./store-projection.js";
import type { AppendResult, EventStore, PreparedEvent } from "./store-types.js";

/** How durable an event is when the producer continues. See the module comment for the bounds. */
export type Durability = "batched" | "sync";

/**
 * A failed write attempt, which the writer retries after `retryInMs`; or (`stage`
 * `commit-listener`, `accept-listener`) an `onCommit` or `onAccept` listener that threw, which
 * changes nothing for the writer.
 */
export interface WriterFailure {
  readonly stage: "write" | "commit-listener" | "accept-listener";
  readonly error: unknown;
  /** 1 for the first failure of this batch. */
  readonly attempt: number;
  readonly batchSize: number;
  readonly retryInMs: number;
}

/** Options of {@link createStoreWriter}. */
export interface StoreWriterOptions extends PayloadOptions {
  /** Default `batched`. */
  durability?: Durability;
  /**
   * Most events per transaction. Default 5,000: under load, fewer and larger commits write each
   * hot page (a run's index page, its projection row) once per commit rather than five times.
   * A batch is committed off the caller's thread (a database server, the SQLite write thread), so
   * its size does not stall the caller. Under light load, `flushIntervalMs` decides, not this.
   */
  batchSize?: number;
  /** `batched`: longest an event waits before its batch is committed. Default 100 ms. */
  flushIntervalMs?: number;
  /** The bus subscription's bound (events waiting to be read by the writer). Default 10,000. */
  bufferSize?: number;
  /**
   * Events the writer holds (read, not yet committed, including the batch being committed) before
   * it stops reading the bus. Default 50,000. With `bufferSize`, the most events a crash can lose
   * in `batched` mode: `maxPending + bufferSize`.
   */
  maxPending?: number;
  /** First retry delay; doubles per failure up to `maxRetryDelayMs`. Default 50 ms. */
  retryDelayMs?: number;
  /** Default 5,000 ms. */
  maxRetryDelayMs?: number;
  /** Which events to store. Default: all. */
  filter?: EventFilter;
  /** Where failed attempts are reported. Default `console.warn`. */
  onError?: (failure: WriterFailure) => void;
}

/** Counters of what the writer did. */
export interface WriterStats {
  received: number;
  written: number;
  /** Read from the bus or waiting in the subscription, not yet committed. */
  pending: number;
  batches: number;
  failures: number;
  /** Whether the writer is waiting to retry a failed batch. */
  retrying: boolean;
}

/**
 * A batch the writer has committed, as stored: each event redacted and size-limited, with its
 * JSON body text and its cursor. Listeners get batches in commit order.
 */
export interface CommittedBatch {
  readonly events: readonly PreparedEvent[];
  /** Aligned with `events`; absent in the rare case a retry found the batch already committed. */
  readonly cursors?: readonly number[];
}

/**
 * A running store writer.
 *
 * @example
 * const writer = createStoreWriter(bus, store, { durability: "sync" });
 * await writer.bus.emit({ type: "run.started", runId: "r1", workflow: { name: "etl" } }); // committed
 * await writer.close();
 */
export interface StoreWriter {
  /**
   * The bus producers should emit into. In `sync` mode its `emit` always returns a promise that
   * resolves once the event is committed; in `batched` mode it is the bus itself.
   */
  readonly bus: EventBus;
  readonly durability: Durability;
  /** Resolves when every event emitted before the call is committed. */
  flush(): Promise<void>;
  /** Commits every event emitted before the call, then stops. Idempotent. */
  close(): Promise<void>;
  stats(): WriterStats;
  /**
   * Calls `listener` after each commit, before `flush()` and `sync` emits resolve for its events,
   * so whoever is told "committed" can already read them. Listeners run synchronously on the
   * writer's path: keep them short. One that throws is reported through `onError` and ignored.
   * Returns what removes the listener.
   */
  onCommit(listener: (batch: CommittedBatch) => void): () => void;
  /**
   * Calls `listener` with each event as soon as the writer has taken it to store, before it is
   * committed: as it will be stored (redacted, size-limited, with its body text), a run's events
   * in seq order. Only events that match the writer's `filter` are taken. This is the earliest
   * point at which an event is known to be on its way to the store, so live views that must look
   * exactly like the stored trail start here (the server's run streams do). A crash can still
   * lose an accepted event (see the durability modes). Listeners run synchronously on the
   * writer's path; one that throws is reported through `onError` and ignored.
   */
  onAccept(listener: (event: PreparedEvent) => void): () => void;
}

/** Thrown by `writer.bus.emit` in `sync` mode once the writer is closed. */
export class WriterClosedError extends Error {
  override readonly name = "WriterClosedError";
  constructor() {
    super("the store writer is closed; events emitted now would not be stored");
  }
}

interface SeqWaiter {
  readonly seq: number;
  readonly resolve: () => void;
}

interface CountWaiter {
  readonly count: number;
  readonly resolve: () => void;
}

class Writer implements StoreWriter {
  readonly bus: EventBus;
  readonly durability: Durability;
  private readonly subscription: Subscription;
  /** Events read from the bus and prepared (redacted, serialised), not yet in a batch. */
  private readonly pending = new Queue<PreparedEvent>();
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxPending: number;
  private readonly counts = { received: 0, written: 0, batches: 0, failures: 0 };
  private retrying = false;
  /** Events of the batches being prepared or committed: they count against `maxPending` until committed. */
  private inFlight = 0;
  private readerDone = false;
  private closing = false;
  private closeTarget = Infinity;
  private closed: Promise<void> | undefined;
  private readonly reader: Promise<void>;
  private readonly flusher: Promise<void>;
  private wakeFlusher: (() => void) | undefined;
  private wakeReader: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerDue = false;
  /** Highest event count a `flush()` is waiting for; the flusher commits at once below it. */
  private flushTarget = 0;
  private flushWaiters: CountWaiter[] = [];
  private readonly seqWaiters = new Map<string, SeqWaiter[]>();
  /**
   * Events the bus has handed to the subscription, counted synchronously by a listener: an event
   * given to a waiting reader is in neither `received` nor `buffered` until the reader resumes.
   */
  private seen = 0;
  private readonly stopCounting: () => void;
  private readonly commitListeners = new Set<(batch: CommittedBatch) => void>();
  private readonly acceptListeners = new Set<(event: PreparedEvent) => void>();

  constructor(
    private readonly source: EventBus,
    private readonly store: EventStore,
    private readonly options: StoreWriterOptions,
  ) {
    this.durability = options.durability ?? "batched";
    this.batchSize = Math.max(1, options.batchSize ?? 5_000);
    this.flushIntervalMs = Math.max(0, options.flushIntervalMs ?? 100);
    this.maxPending = Math.max(this.batchSize, options.maxPending ?? 50_000);
    this.subscription = source.subscribe(options.filter, { overflow: "block", bufferSize: options.bufferSize ?? 10_000 });
    this.stopCounting = source.onEvent(() => void this.seen++, options.filter);
    this.bus = this.durability === "sync" ? this.syncBus(compileFilter(options.filter)) : source;
    this.reader = this.read();
    this.flusher = this.flushLoop();
  }

  /** A view of the bus whose `emit` resolves once the event is committed. */
  private syncBus(matcher: ((event: RuntrailEvent) => boolean) | undefined): EventBus {
    const emit = (input: EventInput): Promise<void> => {
      if (this.closing) throw new WriterClosedError();
      const pressure = this.source.emit(input);
      const event = input as RuntrailEvent;
      if (matcher !== undefined && !matcher(event)) return pressure ?? Promise.resolve();
      // The event reaches the writer asynchronously (through the subscription), so it cannot be
      // committed before this waiter is registered.
      const committed = new Promise<void>((resolve) => {
        const waiters = this.seqWaiters.get(event.runId);
        if (waiters === undefined) this.seqWaiters.set(event.runId, [{ seq: event.seq, resolve }]);
        else waiters.push({ seq: event.seq, resolve });
      });
      return pressure === undefined ? committed : Promise.all([pressure, committed]).then(() => undefined);
    };
    return new Proxy(this.source, {
      get: (target, key, receiver) => (key === "emit" ? emit : Reflect.get(target, key, receiver) as unknown),
    });
  }

  private async read(): Promise<void> {
    try {
      for (;;) {
        while (this.pending.size + this.inFlight >= this.maxPending) await new Promise<void>((resolve) => (this.wakeReader = resolve));
        if (this.counts.received >= this.closeTarget) break;
        const next = await this.subscription.next();
        if (next.done === true) break;
        // Prepared as it is read, not when its batch is cut: the work overlaps with the commit in
        // flight either way, and accept listeners get the event exactly as it will be stored.
        const prepared = prepareEvent(next.value, this.options);
        this.pending.push(prepared);
        this.counts.received++;
        if (this.acceptListeners.size > 0) this.accepted(prepared);
        if (this.durability === "sync" || this.pending.size >= this.batchSize || this.flushTarget > this.counts.written) {
          this.wake();
        } else if (this.timer === undefined && this.pending.size === 1) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.timerDue = true;
            this.wake();
          }, this.flushIntervalMs);
        }
      }
    } finally {
      this.subscription.unsubscribe();
      this.readerDone = true;
      this.wake();
    }
  }

  private wake(): void {
    const wake = this.wakeFlusher;
    this.wakeFlusher = undefined;
    wake?.();
  }

  private shouldWrite(): boolean {
    if (this.pending.size === 0) return false;
    return (
      this.durability === "sync" ||
      this.pending.size >= this.batchSize ||
      this.timerDue ||
      this.readerDone ||
      // A flush (or close) commits as soon as everything it waits for has been read.
      (this.flushTarget > this.counts.written && this.counts.received >= this.flushTarget) ||
      (this.closing && this.counts.received >= this.closeTarget)
    );
  }

  /**
   * Commits batches one after another. While one commits, the next full batch is cut and
   * projected (its events were prepared as they were read): with a store that commits elsewhere
   * (a database server, the SQLite write thread), that work overlaps with the commit. The next
   * batch is sent only once the previous one is committed, so a failed batch is retried before
   * anything after it is written and what is stored never has a gap. A partial batch waits for the
   * commit in flight instead, so that events arriving meanwhile share its commit.
   */
  private async flushLoop(): Promise<void> {
    let writing: Promise<void> | undefined;
    for (;;) {
      if (!this.shouldWrite()) {
        if (this.readerDone && this.pending.size === 0) break;
        await new Promise<void>((resolve) => (this.wakeFlusher = resolve));
        continue;
      }
      if (writing !== undefined && this.pending.size < this.batchSize) {
        await writing;
        writing = undefined;
        continue;
      }
      this.timerDue = false;
      const count = Math.min(this.pending.size, this.batchSize);
      const prepared: PreparedEvent[] = new Array<PreparedEvent>(count);
      for (let i = 0; i < count; i++) prepared[i] = this.pending.shift()!;
      this.inFlight += count;
      if (writing !== undefined) await writing;
      writing = this.commit(prepared);
    }
    if (writing !== undefined) await writing;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.resolveFlushWaiters(Infinity);
  }

  /** Writes one batch (retrying until it is stored), then tells everyone waiting for it. */
  private async commit(prepared: readonly PreparedEvent[]): Promise<void> {
    const result = await this.write(prepared);
    this.inFlight -= prepared.length;
    this.announce(prepared, result);
    this.committed(prepared);
    if (this.pending.size > 0 && this.timer === undefined && this.durability === "batched") {
      // Events that arrived during the commit still wait at most one interval.
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.timerDue = true;
        this.wake();
      }, this.flushIntervalMs);
    }
  }

  private async write(prepared: readonly PreparedEvent[]): Promise<AppendResult> {
    const { runs, steps } = projectBatch(prepared);
    let delay = this.options.retryDelayMs ?? 50;
    const maxDelay = this.options.maxRetryDelayMs ?? 5_000;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.store.append({ events: prepared, runs, steps, maybeStored: attempt > 1 });
        this.retrying = false;
        return result;
      } catch (error) {
        this.counts.failures++;
        this.retrying = true;
        this.report({ stage: "write", error, attempt, batchSize: prepared.length, retryInMs: delay });
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, maxDelay);
      }
    }
  }

  private announce(events: readonly PreparedEvent[], result: AppendResult): void {
    if (this.commitListeners.size === 0) return;
    const batch: CommittedBatch = result.cursors === undefined ? { events } : { events, cursors: result.cursors };
    for (const listener of this.commitListeners) {
      try {
        listener(batch);
      } catch (error) {
        this.report({ stage: "commit-listener", error, attempt: 1, batchSize: events.length, retryInMs: 0 });
      }
    }
  }

  onCommit(listener: (batch: CommittedBatch) => void): () => void {
    this.commitListeners.add(listener);
    return () => void this.commitListeners.delete(listener);
  }

  private accepted(prepared: PreparedEvent): void {
    for (const listener of this.acceptListeners) {
      try {
        listener(prepared);
      } catch (error) {
        this.report({ stage: "accept-listener", error, attempt: 1, batchSize: 1, retryInMs: 0 });
      }
    }
  }

  onAccept(listener: (event: PreparedEvent) => void): () => void {
    this.acceptListeners.add(listener);
    return () => void this.acceptListeners.delete(listener);
  }

  private committed(prepared: readonly PreparedEvent[]): void {
    this.counts.written += prepared.length;
    this.counts.batches++;
    const wakeReader = this.wakeReader;
    this.wakeReader = undefined;
    wakeReader?.();
    if (this.seqWaiters.size > 0) {
      const highest = new Map<string, number>();
      for (const { event } of prepared) highest.set(event.runId, event.seq);
      for (const [runId, seq] of highest) {
        const waiters = this.seqWaiters.get(runId);
        if (waiters === undefined) continue;
        let done = 0;
        while (done < waiters.length && waiters[done]!.seq <= seq) waiters[done++]!.resolve();
        if (done === waiters.length) this.seqWaiters.delete(runId);
        else waiters.splice(0, done);
      }
    }
    this.resolveFlushWaiters(this.counts.written);
  }

  private resolveFlushWaiters(written: number): void {
    if (this.flushWaiters.length === 0) return;
    const still: CountWaiter[] = [];
    for (const waiter of this.flushWaiters) {
      if (waiter.count <= written) waiter.resolve();
      else still.push(waiter);
    }
    this.flushWaiters = still;
  }

  flush(): Promise<void> {
    const target = this.seen;
    if (target <= this.counts.written) return Promise.resolve();
    this.flushTarget = Math.max(this.flushTarget, target);
    const done = new Promise<void>((resolve) => this.flushWaiters.push({ count: target, resolve }));
    this.wake();
    return done;
  }

  close(): Promise<void> {
    if (this.closed !== undefined) return this.closed;
    this.closing = true;
    this.stopCounting();
    this.closeTarget = this.seen;
    if (this.counts.received >= this.closeTarget) this.subscription.unsubscribe();
    this.wake();
    this.closed = Promise.all([this.reader, this.flusher]).then(() => undefined);
    return this.closed;
  }

  stats(): WriterStats {
    return {
      ...this.counts,
      pending: this.seen - this.counts.written,
      retrying: this.retrying,
    };
  }

  private report(failure: WriterFailure): void {
    const onError = this.options.onError;
    try {
      if (onError !== undefined) onError(failure);
      else {
        const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
        if (failure.stage !== "write") console.warn(`[runtrail] a store writer ${failure.stage === "commit-listener" ? "onCommit" : "onAccept"} listener threw: ${message}`);
        else console.warn(`[runtrail] store write of ${failure.batchSize} events failed (attempt ${failure.attempt}), retrying in ${failure.retryInMs} ms: ${message}`);
      }
    } catch {
      // A throwing error hook must not stop the writer.
    }
  }
}

/**
 * Starts a writer that stores every event of `bus` (or those matching `filter`) in `store`.
 *
 * @example
 * const bus = createBus();
 * const store = await openSqliteStore({ path: "./runtrail.db" });
 * const writer = createStoreWriter(bus, store); // batched: commits every 5,000 events or 100 ms
 * // … run workflows on bus …
 * await writer.close();
 */
export function createStoreWriter(bus: EventBus, store: EventStore, options: StoreWriterOptions = {}): StoreWriter {
  return new Writer(bus, store, options);
}
