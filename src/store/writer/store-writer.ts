/**
 * The store writer (the bus-to-store batcher): a lossless bus subscriber that writes events to a
 * store in batches. Four parts, one file each: this one reads the bus (and answers `flush` and
 * `close`), `batch-queue.ts` batches, `batch-committer.ts` commits, `writer-notifier.ts` notifies.
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
 * An event with a value JSON cannot hold as it is (a BigInt, a circle, a `toJSON` that throws,
 * nesting past `maxDepth`, a Map, NaN) is stored at its seq with a marker in that value's place
 * and reported through `onError` (stage `payload`, with `runId`, `seq` and each path): one bad
 * value never stops the writer, and no run gets a gap.
 *
 * When the store fails, the writer keeps the batch, reports the failure, and retries with
 * exponential backoff, forever: it never drops. Past `maxPending` events it stops reading the bus,
 * whose `block` subscription then makes producers wait (backpressure).
 */
import { compileFilter, type EventBus, type Subscription } from "../../bus/index.js";
import type { EventInput, RuntrailEvent } from "../../events/index.js";
import type { EventStore, PreparedEvent } from "../store-types.js";
import { BatchCommitter } from "./batch-committer.js";
import { prepareAndReport } from "./event-preparer.js";
import { BatchQueue } from "./batch-queue.js";
import { WriterNotifier } from "./writer-notifier.js";
import { WriterClosedError, type CommittedBatch, type Durability, type StoreWriter, type StoreWriterOptions, type WriterStats } from "./writer-types.js";

/**
 * The writer: reads the bus into the {@link BatchQueue} (stopping past `maxPending`), which the
 * {@link BatchCommitter} commits from; the {@link WriterNotifier} tells listeners and waiters.
 * Here: the read loop, and what `flush()` and `close()` wait for.
 */
class Writer implements StoreWriter {
  readonly bus: EventBus;
  readonly durability: Durability;
  private readonly subscription: Subscription;
  private readonly queue: BatchQueue;
  private readonly notifier: WriterNotifier;
  private readonly committer: BatchCommitter;
  private readonly maxPending: number;
  /**
   * Events the bus has handed to the subscription, counted synchronously by a listener: an event
   * given to a waiting reader is not yet `received` until the reader resumes.
   */
  private seen = 0;
  private readonly stopCounting: () => void;
  private received = 0;
  readerDone = false;
  private wakeReader: (() => void) | undefined;
  /** Highest event count a `flush()` is waiting for; the committer commits at once below it. */
  private flushTarget = 0;
  private closing = false;
  private closeTarget = Infinity;
  private closed: Promise<void> | undefined;
  private readonly loops: Promise<unknown>;

  constructor(
    private readonly source: EventBus,
    store: EventStore,
    private readonly options: StoreWriterOptions,
  ) {
    this.durability = options.durability ?? "batched";
    const batchSize = Math.max(1, options.batchSize ?? 5_000);
    this.maxPending = Math.max(batchSize, options.maxPending ?? 50_000);
    this.queue = new BatchQueue(batchSize, Math.max(0, options.flushIntervalMs ?? 100), this.durability === "sync");
    this.notifier = new WriterNotifier(options.onError);
    this.committer = new BatchCommitter(store, this.queue, this.notifier, this, options);
    this.subscription = source.subscribe(options.filter, { overflow: "block", bufferSize: options.bufferSize ?? 10_000 });
    this.stopCounting = source.onEvent(() => void this.seen++, options.filter);
    this.bus = this.durability === "sync" ? this.syncBus(compileFilter(options.filter)) : source;
    this.loops = Promise.all([this.read(), this.committer.run()]);
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
      const committed = this.notifier.untilCommitted(event.runId, event.seq);
      return pressure === undefined ? committed : Promise.all([pressure, committed]).then(() => undefined);
    };
    return new Proxy(this.source, {
      get: (target, key, receiver) => (key === "emit" ? emit : Reflect.get(target, key, receiver) as unknown),
    });
  }

  private async read(): Promise<void> {
    try {
      for (;;) {
        while (this.queue.size + this.committer.inFlight >= this.maxPending) await new Promise<void>((resolve) => (this.wakeReader = resolve));
        if (this.received >= this.closeTarget) break;
        const next = await this.subscription.next();
        if (next.done === true) break;
        // Prepared as it is read, not when its batch is cut: the work overlaps with the commit in
        // flight either way, and accept listeners get the event exactly as it will be stored.
        // A value JSON cannot hold is stored as a marker and reported here; it never ends the loop.
        const prepared = prepareAndReport(next.value, this.options, this.notifier);
        this.received++;
        this.queue.push(prepared, this.flushTarget > this.committer.written);
        this.notifier.accepted(prepared);
      }
    } finally {
      this.subscription.unsubscribe();
      this.readerDone = true;
      this.queue.wake();
    }
  }

  /** The committer's question: must what waits be committed now? */
  mustCommit(): boolean {
    return (
      this.readerDone ||
      // A flush (or close) commits as soon as everything it waits for has been read.
      (this.flushTarget > this.committer.written && this.received >= this.flushTarget) ||
      (this.closing && this.received >= this.closeTarget)
    );
  }

  /** After each commit: the reader may be below `maxPending` again. */
  committed(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  onCommit(listener: (batch: CommittedBatch) => void): () => void {
    return this.notifier.onCommit(listener);
  }

  onAccept(listener: (event: PreparedEvent) => void): () => void {
    return this.notifier.onAccept(listener);
  }

  flush(): Promise<void> {
    const target = this.seen;
    if (target <= this.committer.written) return Promise.resolve();
    this.flushTarget = Math.max(this.flushTarget, target);
    const done = this.notifier.untilWritten(target);
    this.queue.wake();
    return done;
  }

  close(): Promise<void> {
    if (this.closed !== undefined) return this.closed;
    this.closing = true;
    this.stopCounting();
    this.closeTarget = this.seen;
    if (this.received >= this.closeTarget) this.subscription.unsubscribe();
    this.queue.wake();
    this.closed = this.loops.then(() => undefined);
    return this.closed;
  }

  stats(): WriterStats {
    const { written, batches, failures, retrying } = this.committer;
    return { received: this.received, written, batches, failures, pending: this.seen - written, retrying };
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
