/**
 * What batches: the events read and prepared, not yet in a batch, and when the next batch is due
 * (a full batch, `flushIntervalMs` after its first event, every event in `sync` mode, or whenever
 * the writer says it must commit). The committer waits here until a batch is due.
 */
import { Queue } from "../../bus/index.js";
import type { PreparedEvent } from "../store-types.js";

export class BatchQueue {
  private readonly pending = new Queue<PreparedEvent>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The interval since the oldest waiting event has passed. */
  private timerDue = false;
  private wakeUp: (() => void) | undefined;

  /**
   * @param batchSize most events per batch
   * @param intervalMs `batched`: longest an event waits for its batch
   * @param everyEvent `sync`: every event is due at once
   */
  constructor(
    readonly batchSize: number,
    private readonly intervalMs: number,
    private readonly everyEvent: boolean,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Adds an event; `now`: the writer wants it committed at once (a flush waits for it). */
  push(prepared: PreparedEvent, now: boolean): void {
    this.pending.push(prepared);
    if (this.everyEvent || this.pending.size >= this.batchSize || now) this.wake();
    else if (this.timer === undefined && this.pending.size === 1) this.startTimer();
  }

  /** Whether a batch should be cut now; `must`: the writer needs what is waiting committed. */
  due(must: boolean): boolean {
    if (this.pending.size === 0) return false;
    return this.everyEvent || this.pending.size >= this.batchSize || this.timerDue || must;
  }

  /** Takes the next batch (at most `batchSize` events, oldest first). */
  cut(): PreparedEvent[] {
    this.timerDue = false;
    const count = Math.min(this.pending.size, this.batchSize);
    const batch = new Array<PreparedEvent>(count);
    for (let i = 0; i < count; i++) batch[i] = this.pending.shift()!;
    return batch;
  }

  /** After a commit: events that arrived during it still wait at most one interval. */
  restartTimer(): void {
    if (this.pending.size > 0 && this.timer === undefined && !this.everyEvent) this.startTimer();
  }

  /** Resolves at the next {@link wake} (one waiter at a time: the committer). */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => (this.wakeUp = resolve));
  }

  wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private startTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = true;
      this.wake();
    }, this.intervalMs);
  }
}
