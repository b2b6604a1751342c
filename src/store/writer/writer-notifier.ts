/**
 * What the store writer tells others: accept and commit listeners, the `sync` emits waiting for
 * their event's commit, the `flush()` calls waiting for a count of written events, and failures
 * and payload faults (to `onError`, else `console.warn`). A listener or hook that throws never
 * stops the writer.
 */
import type { AppendResult, PreparedEvent } from "../store-types.js";
import type { CommittedBatch, WriterFailure } from "./writer-types.js";

interface SeqWaiter {
  readonly seq: number;
  readonly resolve: () => void;
}

interface CountWaiter {
  readonly count: number;
  readonly resolve: () => void;
}

/** The listeners and waiters of one writer. */
export class WriterNotifier {
  private readonly commitListeners = new Set<(batch: CommittedBatch) => void>();
  private readonly acceptListeners = new Set<(event: PreparedEvent) => void>();
  /** `sync` emits, per run, in seq order. */
  private readonly seqWaiters = new Map<string, SeqWaiter[]>();
  private flushWaiters: CountWaiter[] = [];

  constructor(private readonly onError: ((failure: WriterFailure) => void) | undefined) {}

  onCommit(listener: (batch: CommittedBatch) => void): () => void {
    this.commitListeners.add(listener);
    return () => void this.commitListeners.delete(listener);
  }

  onAccept(listener: (event: PreparedEvent) => void): () => void {
    this.acceptListeners.add(listener);
    return () => void this.acceptListeners.delete(listener);
  }

  /** Tells the accept listeners about an event taken to store. */
  accepted(prepared: PreparedEvent): void {
    if (this.acceptListeners.size === 0) return;
    for (const listener of this.acceptListeners) {
      try {
        listener(prepared);
      } catch (error) {
        this.report({ stage: "accept-listener", error, attempt: 1, batchSize: 1, retryInMs: 0 });
      }
    }
  }

  /** Tells the commit listeners about a committed batch (before anyone waiting for it is released). */
  announce(events: readonly PreparedEvent[], result: AppendResult): void {
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

  /** Resolves once the run's event `seq` is committed; registered before the event can reach the writer. */
  untilCommitted(runId: string, seq: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiters = this.seqWaiters.get(runId);
      if (waiters === undefined) this.seqWaiters.set(runId, [{ seq, resolve }]);
      else waiters.push({ seq, resolve });
    });
  }

  /** Resolves once `count` events are written (or the writer stopped). */
  untilWritten(count: number): Promise<void> {
    return new Promise<void>((resolve) => this.flushWaiters.push({ count, resolve }));
  }

  /** Releases the `sync` emits of a committed batch and the flushes that `written` satisfies. */
  release(events: readonly PreparedEvent[], written: number): void {
    if (this.seqWaiters.size > 0) {
      const highest = new Map<string, number>();
      for (const { event } of events) highest.set(event.runId, event.seq);
      for (const [runId, seq] of highest) {
        const waiters = this.seqWaiters.get(runId);
        if (waiters === undefined) continue;
        let done = 0;
        while (done < waiters.length && waiters[done]!.seq <= seq) waiters[done++]!.resolve();
        if (done === waiters.length) this.seqWaiters.delete(runId);
        else waiters.splice(0, done);
      }
    }
    this.releaseFlushes(written);
  }

  /** Releases the flushes waiting for at most `written` events (`Infinity`: all, the writer stopped). */
  releaseFlushes(written: number): void {
    if (this.flushWaiters.length === 0) return;
    const still: CountWaiter[] = [];
    for (const waiter of this.flushWaiters) {
      if (waiter.count <= written) waiter.resolve();
      else still.push(waiter);
    }
    this.flushWaiters = still;
  }

  report(failure: WriterFailure): void {
    try {
      if (this.onError !== undefined) this.onError(failure);
      else {
        const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
        if (failure.stage === "payload") console.warn(`[runtrail] ${message}`);
        else if (failure.stage !== "write") console.warn(`[runtrail] a store writer ${failure.stage === "commit-listener" ? "onCommit" : "onAccept"} listener threw: ${message}`);
        else console.warn(`[runtrail] store write of ${failure.batchSize} events failed (attempt ${failure.attempt}), retrying in ${failure.retryInMs} ms: ${message}`);
      }
    } catch {
      // A throwing error hook must not stop the writer.
    }
  }
}
