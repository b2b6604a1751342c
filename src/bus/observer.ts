/**
 * Async observers (seed 004's ObserverManager): fire-and-forget consumers that never delay the
 * producer, run at most `maxConcurrent` at once, are timed out, and see one run's events in seq
 * order (one in flight per run; different runs in parallel).
 */
import type { RuntrailEvent } from "../events/index.js";
import { ObserverQueueFullError, ObserverTimeoutError, type ConsumerFailure } from "./errors.js";
import type { Matcher } from "./filter.js";
import { Queue } from "./queue.js";

/** An async observer. Its result is awaited (up to `timeoutMs`) only to pace the next event. */
export type Observer = (event: RuntrailEvent) => void | Promise<void>;

/** How an observer runs. */
export interface ObserveOptions {
  /** Most invocations in flight at once, across runs. Default 4. */
  maxConcurrent?: number;
  /** An invocation still pending after this is reported and no longer waited for. Default 5,000. */
  timeoutMs?: number;
  /** Most events waiting; past it the oldest is dropped and reported. Default 10,000. */
  maxQueue?: number;
  /** Shown in failure reports. Default: the function's name. */
  name?: string;
}

export class ObserverRunner {
  readonly name: string;
  private readonly maxConcurrent: number;
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  /** Pending events per run, and the runs ready to start their next event, in arrival order. */
  private readonly pending = new Map<string, Queue<RuntrailEvent>>();
  private readonly ready = new Queue<string>();
  private readonly busy = new Set<string>();
  private queued = 0;
  private inFlight = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly fn: Observer,
    readonly matcher: Matcher,
    options: ObserveOptions,
    private readonly report: (failure: Omit<ConsumerFailure, "consumer" | "name">, observer: ObserverRunner) => void,
    private readonly schedule: (runner: ObserverRunner) => void,
  ) {
    this.name = options.name ?? (fn.name || "anonymous");
    this.maxConcurrent = options.maxConcurrent ?? 4;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxQueue = options.maxQueue ?? 10_000;
  }

  /** Queues an event; the bus calls {@link pump} later, off the producer's stack. */
  enqueue(event: RuntrailEvent): void {
    if (this.stopped) return;
    const runId = event.runId;
    let queue = this.pending.get(runId);
    if (queue === undefined) {
      queue = new Queue();
      this.pending.set(runId, queue);
    }
    queue.push(event);
    if (queue.size === 1 && !this.busy.has(runId)) this.ready.push(runId);
    if (++this.queued > this.maxQueue) this.dropOldest();
    this.schedule(this);
  }

  /** Starts as many queued invocations as the concurrency limit allows. */
  pump(): void {
    while (this.inFlight < this.maxConcurrent && this.ready.size > 0) {
      const runId = this.ready.shift()!;
      // A run can be listed twice after a drop emptied and reopened its queue; one in flight per run.
      if (this.busy.has(runId)) continue;
      const queue = this.pending.get(runId);
      const event = queue?.shift();
      if (event === undefined) continue;
      if (queue!.size === 0) this.pending.delete(runId);
      this.queued--;
      this.start(runId, event);
    }
    if (this.inFlight === 0 && this.queued === 0) this.wakeIdle();
  }

  /** Resolves once nothing is queued or in flight (invocations are bounded by the timeout). */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking events and forgets what is queued. */
  stop(): void {
    this.stopped = true;
    this.pending.clear();
    this.ready.clear();
    this.queued = 0;
    if (this.inFlight === 0) this.wakeIdle();
  }

  private start(runId: string, event: RuntrailEvent): void {
    this.busy.add(runId);
    this.inFlight++;
    const startedAt = performance.now();
    let result: void | Promise<void>;
    try {
      result = this.fn(event);
    } catch (error) {
      this.report({ kind: "threw", error, event }, this);
      this.finish(runId);
      return;
    }
    if (!isPromiseLike(result)) {
      // A synchronous observer cannot be interrupted; a slow one is still reported.
      if (performance.now() - startedAt > this.timeoutMs) {
        this.report({ kind: "timed-out", error: new ObserverTimeoutError(this.name, this.timeoutMs), event }, this);
      }
      this.finish(runId);
      return;
    }
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      this.report({ kind: "timed-out", error: new ObserverTimeoutError(this.name, this.timeoutMs), event }, this);
      this.finish(runId);
    }, this.timeoutMs);
    timer.unref?.();
    result.then(
      () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.finish(runId);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.report({ kind: "threw", error, event }, this);
        this.finish(runId);
      },
    );
  }

  private finish(runId: string): void {
    this.inFlight--;
    this.busy.delete(runId);
    if (this.pending.has(runId)) this.ready.push(runId);
    this.pump();
  }

  private dropOldest(): void {
    // The run whose queue was opened first holds the oldest waiting event (Maps keep insertion order).
    for (const [runId, queue] of this.pending) {
      const event = queue.shift();
      if (queue.size === 0) this.pending.delete(runId);
      if (event === undefined) continue;
      this.queued--;
      this.report({ kind: "dropped", error: new ObserverQueueFullError(this.name, this.maxQueue), event }, this);
      return;
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

function isPromiseLike(value: unknown): value is Promise<void> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
