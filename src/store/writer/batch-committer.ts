/**
 * What commits: batches one after another, each retried with exponential backoff until it is
 * stored. While one commits, the next full batch is cut and projected (its events were prepared
 * as they were read): with a store that commits elsewhere (a database server, the SQLite write
 * thread), that work overlaps with the commit. The next batch is sent only once the previous one
 * is committed, so a failed batch is retried before anything after it is written and what is
 * stored never has a gap. A partial batch waits for the commit in flight instead, so that events
 * arriving meanwhile share its commit.
 */
import { projectBatch } from "../store-projection.js";
import type { AppendResult, EventStore, PreparedEvent } from "../store-types.js";
import type { BatchQueue } from "./batch-queue.js";
import type { WriterNotifier } from "./writer-notifier.js";

/** What the committer asks of the writer around it. */
export interface CommitterHost {
  /** Whether what waits must be committed now (a flush or close waits for it, the reader is done). */
  mustCommit(): boolean;
  /** Whether nothing more will come (the reader is done). */
  readonly readerDone: boolean;
  /** Called after each commit (the reader may read again below `maxPending`). */
  committed(): void;
}

export interface RetryOptions {
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /** The run lease every stored run is tied to. */
  readonly lease?: { readonly ownerId: string };
}

export class BatchCommitter {
  written = 0;
  batches = 0;
  failures = 0;
  /** Whether a failed batch waits to be retried. */
  retrying = false;
  /** Events of the batches being prepared or committed: they count against `maxPending` until committed. */
  inFlight = 0;

  constructor(
    private readonly store: EventStore,
    private readonly queue: BatchQueue,
    private readonly notifier: WriterNotifier,
    private readonly host: CommitterHost,
    private readonly retry: RetryOptions,
  ) {}

  /** Commits until the reader is done and nothing waits; then releases every flush. */
  async run(): Promise<void> {
    const { queue } = this;
    let writing: Promise<void> | undefined;
    for (;;) {
      if (!queue.due(this.host.mustCommit())) {
        if (this.host.readerDone && queue.size === 0) break;
        await queue.wait();
        continue;
      }
      if (writing !== undefined && queue.size < queue.batchSize) {
        await writing;
        writing = undefined;
        continue;
      }
      const batch = queue.cut();
      this.inFlight += batch.length;
      if (writing !== undefined) await writing;
      writing = this.commit(batch);
    }
    if (writing !== undefined) await writing;
    queue.stop();
    this.notifier.releaseFlushes(Infinity);
  }

  /** Writes one batch (retrying until it is stored), then tells everyone waiting for it. */
  private async commit(batch: readonly PreparedEvent[]): Promise<void> {
    const result = await this.write(batch);
    this.inFlight -= batch.length;
    this.notifier.announce(batch, result);
    this.written += batch.length;
    this.batches++;
    this.host.committed();
    this.notifier.release(batch, this.written);
    this.queue.restartTimer();
  }

  private async write(batch: readonly PreparedEvent[]): Promise<AppendResult> {
    const { runs, steps } = projectBatch(batch);
    const owner = this.retry.lease?.ownerId;
    if (owner !== undefined) for (const run of runs) run.leaseOwner = owner;
    let delay = this.retry.retryDelayMs ?? 50;
    const maxDelay = this.retry.maxRetryDelayMs ?? 5_000;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.store.append({ events: batch, runs, steps, maybeStored: attempt > 1 });
        this.retrying = false;
        return result;
      } catch (error) {
        this.failures++;
        this.retrying = true;
        this.notifier.report({ stage: "write", error, attempt, batchSize: batch.length, retryInMs: delay });
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, maxDelay);
      }
    }
  }
}
