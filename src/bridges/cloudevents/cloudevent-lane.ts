/**
 * One delivery lane of the HTTP sink: the events of the runs hashed to it, sent a batch at a
 * time, each batch retried with backoff until the receiver takes it. One batch in flight per lane
 * keeps each run's events in order; several lanes send in parallel.
 */
import { backoffDelay, type ResolvedBackoff } from "../../control/index.js";
import type { RuntrailEvent } from "../../events/index.js";

/** Sends one batch; resolves on a 2xx answer, throws otherwise (with `retryAfterMs` when the receiver said). */
export type BatchSender = (events: readonly RuntrailEvent[], abandon: AbortSignal) => Promise<void>;

/** A batch the receiver has not taken (yet): reported on every failed attempt. */
export interface DeliveryFailure {
  readonly kind: "retrying" | "gave-up";
  readonly error: unknown;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly events: readonly RuntrailEvent[];
  /** Set when retrying: the wait before the next attempt. */
  readonly delayMs?: number;
}

export interface LaneSettings {
  readonly send: BatchSender;
  readonly maxBatch: number;
  readonly lingerMs: number;
  readonly backoff: ResolvedBackoff;
  readonly maxAttempts: number;
  readonly report: (failure: DeliveryFailure) => void;
  /** Told of every delivered batch, so the sink can count and free buffer room. */
  readonly delivered: (count: number, taken: boolean) => void;
  /** Aborted when the sink gives up on what is left (close's deadline passed). */
  readonly abandon: AbortSignal;
}

export class DeliveryLane {
  private readonly queue: RuntrailEvent[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly settings: LaneSettings) {}

  get size(): number {
    return this.queue.length;
  }

  push(event: RuntrailEvent): void {
    this.queue.push(event);
    this.kick();
  }

  private kick(): void {
    if (this.running !== undefined || this.settings.abandon.aborted) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      // Events pushed after the loop's last look, before this settled.
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Takes what is still queued (the sink gave up on it). */
  takeRest(): RuntrailEvent[] {
    return this.queue.splice(0, this.queue.length);
  }

  /** Resolves once the lane is empty. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async drain(): Promise<void> {
    const { maxBatch, lingerMs, abandon } = this.settings;
    while (this.queue.length > 0 && !abandon.aborted) {
      // A short wait lets a burst fill the batch: fewer, larger requests.
      if (this.queue.length < maxBatch && lingerMs > 0) await sleep(lingerMs, abandon);
      const batch = this.queue.slice(0, maxBatch);
      // Taken, or given up on (and reported with its events): either way it leaves the queue.
      const taken = await this.deliver(batch);
      this.queue.splice(0, batch.length);
      this.settings.delivered(batch.length, taken);
    }
  }

  /** Sends until taken; false when it gave up (attempts spent, or the sink abandoned it). */
  private async deliver(batch: readonly RuntrailEvent[]): Promise<boolean> {
    const { send, backoff, maxAttempts, report, abandon } = this.settings;
    for (let attempt = 1; ; attempt++) {
      try {
        await send(batch, abandon);
        return true;
      } catch (error) {
        if (attempt >= maxAttempts || abandon.aborted) {
          report({ kind: "gave-up", error, attempt, events: batch });
          return false;
        }
        const hinted = (error as { retryAfterMs?: unknown }).retryAfterMs;
        const delayMs = typeof hinted === "number" ? Math.min(hinted, backoff.maxDelayMs) : backoffDelay(attempt, backoff);
        report({ kind: "retrying", error, attempt, events: batch, delayMs });
        await sleep(delayMs, abandon);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
