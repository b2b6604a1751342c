/**
 * Sequence numbers per run: 1, 2, 3, … with no gap and never reused, independent between runs.
 */
import { RunAccountError, RunEndedError } from "./errors.js";

interface Counter {
  seq: number;
  /** The account the run belongs to; unknown for a resumed run until its first emit. */
  accountId: string | undefined;
}

/** How many ended runs are remembered, to refuse a late emit that would restart a counter. */
const ENDED_MEMORY = 10_000;

export class RunCounters {
  private readonly live = new Map<string, Counter>();
  private readonly ended = new Set<string>();
  /** The last run emitted to and its counter: a run's events mostly come one after another. */
  private lastRunId: string | undefined;
  private lastCounter: Counter | undefined;

  /** The next seq of `runId`, opening its counter on first use; refuses another account's event. */
  next(runId: string, type: string, accountId: string): number {
    const counter = runId === this.lastRunId ? this.lastCounter : this.live.get(runId);
    if (counter !== undefined) {
      this.lastRunId = runId;
      this.lastCounter = counter;
      if (counter.accountId !== accountId) {
        if (counter.accountId !== undefined) throw new RunAccountError(runId, counter.accountId, accountId);
        counter.accountId = accountId;
      }
      return ++counter.seq;
    }
    if (this.ended.has(runId)) throw new RunEndedError(runId, type);
    const opened: Counter = { seq: 1, accountId };
    this.live.set(runId, opened);
    this.lastRunId = runId;
    this.lastCounter = opened;
    return 1;
  }

  /** The last seq handed out for `runId` (0 if none). */
  last(runId: string): number {
    return this.live.get(runId)?.seq ?? 0;
  }

  /** Continues `runId` after `lastSeq`, e.g. when a run resumes in a new process. */
  resume(runId: string, lastSeq: number): void {
    this.ended.delete(runId);
    this.live.set(runId, { seq: lastSeq, accountId: undefined });
    if (runId === this.lastRunId) this.lastRunId = this.lastCounter = undefined;
  }

  /** Releases a finished run's counter; a later emit for it is refused. */
  end(runId: string): void {
    this.live.delete(runId);
    if (runId === this.lastRunId) this.lastRunId = this.lastCounter = undefined;
    this.ended.add(runId);
    if (this.ended.size > ENDED_MEMORY) {
      const oldest = this.ended.values().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
  }

  get activeRuns(): number {
    return this.live.size;
  }
}
