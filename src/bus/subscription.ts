/**
 * Stream subscriptions: an `AsyncIterable` of events with a bounded buffer and an explicit
 * overflow policy. Nothing is dropped silently: a drop policy puts a {@link StreamGap} in the
 * stream where the events went missing, naming the seq range to refill from the store.
 */
import type { RuntrailEvent } from "../events/index.js";
import { SubscriptionOverflowError } from "./errors.js";
import type { Matcher } from "./filter.js";
import { Queue } from "./queue.js";

/** What a full buffer does with the next event. */
export type OverflowPolicy = "block" | "drop-oldest" | "drop-newest" | "error";

/**
 * Marks events a subscriber missed because its buffer was full: in run `runId`, the matching
 * events with seq in `fromSeq..toSeq` (`dropped` of them) were not delivered.
 */
export interface StreamGap {
  readonly type: "stream.gap";
  readonly runId: string;
  readonly accountId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly dropped: number;
}

/** What a subscription yields: events, and gap markers under a drop policy. */
export type StreamItem<P extends OverflowPolicy> = P extends "drop-oldest" | "drop-newest"
  ? RuntrailEvent | StreamGap
  : RuntrailEvent;

/** How a subscription buffers. */
export interface SubscribeOptions<P extends OverflowPolicy = OverflowPolicy> {
  /** Most events held for a consumer that has not caught up. Default 1,024. */
  bufferSize?: number;
  /** Default `block`: the producer's `emit` returns a promise to await; lossless. */
  overflow?: P;
}

/** A live stream of events for `for await`. End it with `unsubscribe()` or by leaving the loop. */
export interface Subscription<T = RuntrailEvent> extends AsyncIterableIterator<T> {
  /** Stops delivery and ends the iteration; idempotent. */
  unsubscribe(): void;
  /** How many events a drop policy has dropped so far. */
  readonly dropped: number;
  /** Events buffered and not yet consumed. */
  readonly buffered: number;
}

type Item = RuntrailEvent | StreamGap;

interface MutableGap {
  type: "stream.gap";
  runId: string;
  accountId: string;
  fromSeq: number;
  toSeq: number;
  dropped: number;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

export class StreamSubscription implements Subscription<Item> {
  readonly bufferSize: number;
  readonly overflow: OverflowPolicy;
  private readonly buffer = new Queue<Item>();
  /** drop-oldest: gaps for events dropped from the head, delivered before anything buffered. */
  private headGaps: Map<string, MutableGap> | undefined;
  /** drop-newest: gaps for events refused at the tail, queued before the next accepted event. */
  private tailGaps: Map<string, MutableGap> | undefined;
  private waiting: ((result: IteratorResult<Item>) => void) | undefined;
  private roomWaiters: (() => void)[] = [];
  private failure: SubscriptionOverflowError | undefined;
  private ending = false;
  private finished = false;
  private droppedCount = 0;

  constructor(
    readonly matcher: Matcher,
    options: SubscribeOptions,
    private readonly detach: (subscription: StreamSubscription) => void,
  ) {
    this.bufferSize = Math.max(1, options.bufferSize ?? 1_024);
    this.overflow = options.overflow ?? "block";
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get buffered(): number {
    return this.buffer.size;
  }

  /** Whether a `block` subscriber is at its bound, so the producer should wait. An ending one never is. */
  get full(): boolean {
    return !this.ending && this.buffer.size >= this.bufferSize;
  }

  /** Offers an event that passed the matcher. Called by the bus, in seq order per run. */
  push(event: RuntrailEvent): void {
    if (this.ending || this.finished) return;
    if (this.waiting !== undefined && this.buffer.size === 0 && this.tailGaps === undefined && this.headGaps === undefined) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ done: false, value: event });
      return;
    }
    if (this.buffer.size < this.bufferSize) {
      this.flushTailGaps();
      this.buffer.push(event);
      return;
    }
    switch (this.overflow) {
      case "block":
        // Lossless: keep it even past the bound; the producer was asked to wait (see emit).
        this.buffer.push(event);
        return;
      case "drop-oldest": {
        const oldest = this.buffer.shift() as RuntrailEvent;
        this.headGaps = recordGap(this.headGaps, oldest);
        this.droppedCount++;
        this.buffer.push(event);
        return;
      }
      case "drop-newest":
        this.tailGaps = recordGap(this.tailGaps, event);
        this.droppedCount++;
        return;
      case "error":
        this.failure = new SubscriptionOverflowError(this.bufferSize, { runId: event.runId, seq: event.seq });
        this.ending = true;
        this.detach(this);
        return;
    }
  }

  next(): Promise<IteratorResult<Item>> {
    const item = this.take();
    if (item !== undefined) return Promise.resolve({ done: false, value: item });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.finish();
      return Promise.reject(failure);
    }
    if (this.ending || this.finished) {
      this.finish();
      return Promise.resolve(DONE);
    }
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<Item>> {
    this.unsubscribe();
    return Promise.resolve(DONE);
  }

  unsubscribe(): void {
    if (this.finished) return;
    this.buffer.clear();
    this.headGaps = this.tailGaps = undefined;
    this.failure = undefined;
    this.finish();
  }

  /** Ends the stream after what is buffered has been read (the bus is closing). */
  end(): void {
    this.ending = true;
    // Nothing more will be pushed, so a producer waiting for room must not wait any longer.
    this.wakeRoomWaiters();
    if (this.buffer.size === 0 && this.headGaps === undefined && this.tailGaps === undefined) this.finish();
  }

  /** Resolves when a `block` subscriber has drained to half its buffer (or has ended). */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private take(): Item | undefined {
    if (this.headGaps !== undefined) {
      const gap = firstGap(this.headGaps);
      if (this.headGaps.size === 0) this.headGaps = undefined;
      return gap;
    }
    const item = this.buffer.shift();
    if (item !== undefined) {
      // Wake a blocked producer only once half the buffer is free: waking it per freed slot makes
      // producer and consumer take turns every few events (measured: 3x slower for 1M events).
      if (this.roomWaiters.length > 0 && this.buffer.size <= this.bufferSize >> 1) this.wakeRoomWaiters();
      return item;
    }
    if (this.tailGaps !== undefined) {
      const gap = firstGap(this.tailGaps);
      if (this.tailGaps.size === 0) this.tailGaps = undefined;
      return gap;
    }
    return undefined;
  }

  private flushTailGaps(): void {
    if (this.tailGaps === undefined) return;
    // Gaps go in before the next accepted event, so each marks exactly where its events were.
    for (const gap of this.tailGaps.values()) this.buffer.push(gap);
    this.tailGaps = undefined;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.ending = true;
    this.detach(this);
    this.wakeRoomWaiters();
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(DONE);
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

function recordGap(gaps: Map<string, MutableGap> | undefined, event: RuntrailEvent): Map<string, MutableGap> {
  const map = gaps ?? new Map<string, MutableGap>();
  const gap = map.get(event.runId);
  if (gap === undefined) {
    map.set(event.runId, {
      type: "stream.gap",
      runId: event.runId,
      accountId: event.accountId,
      fromSeq: event.seq,
      toSeq: event.seq,
      dropped: 1,
    });
  } else {
    gap.toSeq = event.seq;
    gap.dropped++;
  }
  return map;
}

function firstGap(gaps: Map<string, MutableGap>): StreamGap | undefined {
  for (const [runId, gap] of gaps) {
    gaps.delete(runId);
    return gap;
  }
  return undefined;
}
