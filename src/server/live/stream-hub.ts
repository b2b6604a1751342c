/**
 * Wake-ups for caught-up streams. A stream never takes its events from a wake-up: it reads after
 * its own position (from the live tail or the store), so a wake-up that comes twice, late or for
 * nothing costs a read and never a gap or a duplicate. What must hold is only that every write a
 * stream can read is followed by a `notify` naming its account (and run) once it is readable: an
 * accepted event once it is in the live tail (run streams), a commit once it is in the store (and
 * the tail, for this process's commits); the commit signals in `commit-signals.ts` (and the store's, e.g. PostgreSQL's) ensure that.
 */
import type { CommitListener, CommitNotice } from "../../store/index.js";

/** One stream's registration: `dirty` is set by every matching notification until the stream reads. */
export interface StreamWaiter {
  /** Set when something was written since the stream last cleared it. */
  dirty: boolean;
  /** Resolves on the next matching notification (at once if dirty), on `ms` elapsed, or on abort. */
  wait(ms: number, signal: AbortSignal): Promise<"woken" | "timeout" | "aborted">;
  dispose(): void;
}

/**
 * Which streams a notice wakes: `all`; only `runs` streams (events were accepted, which run streams
 * take from the live tail, or run streams must read the store again); only `accounts` streams
 * (account streams read committed events only, from the store).
 */
export type NoticeScope = "all" | "runs" | "accounts";

type Outcome = "woken" | "timeout" | "aborted";

class Waiter implements StreamWaiter {
  dirty = false;
  private resolve: ((outcome: Outcome) => void) | undefined;
  // One timer and one abort listener for the stream's life, re-armed per wait: a live stream waits
  // once per commit, and allocating them each time is a cost paid per stream per commit.
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerMs = 0;
  private signal: AbortSignal | undefined;
  private readonly onTimeout = (): void => this.settle("timeout");
  private readonly onAbort = (): void => this.settle("aborted");

  constructor(
    readonly accountId: string,
    readonly runId: string | undefined,
    private readonly onDispose: (waiter: Waiter) => void,
  ) {}

  notify(): void {
    this.dirty = true;
    this.settle("woken");
  }

  wait(ms: number, signal: AbortSignal): Promise<Outcome> {
    if (signal.aborted) return Promise.resolve("aborted");
    if (this.dirty) return Promise.resolve("woken");
    if (this.timer === undefined || this.timerMs !== ms) {
      clearTimeout(this.timer);
      this.timer = setTimeout(this.onTimeout, ms);
      this.timerMs = ms;
    } else {
      // Also re-arms a timer that fired while the stream was busy.
      this.timer.refresh();
    }
    if (this.signal !== signal) {
      this.signal?.removeEventListener("abort", this.onAbort);
      this.signal = signal;
      signal.addEventListener("abort", this.onAbort, { once: true });
    }
    return new Promise(this.arm);
  }

  /** The executor of every wait's promise, made once rather than per wait. */
  private readonly arm = (resolve: (outcome: Outcome) => void): void => {
    this.resolve = resolve;
  };

  dispose(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener("abort", this.onAbort);
    this.settle("aborted");
    this.onDispose(this);
  }

  /** Ends the current wait, if any; a timer firing between waits finds none and does nothing. */
  private settle(outcome: Outcome): void {
    const resolve = this.resolve;
    if (resolve === undefined) return;
    this.resolve = undefined;
    resolve(outcome);
  }
}

/** Whether a notice of an account's `runs` (any run: `undefined`) wakes the waiter. */
function wakes(waiter: Waiter, runs: ReadonlySet<string> | undefined, scope: NoticeScope): boolean {
  if (waiter.runId === undefined) return scope !== "runs";
  return scope !== "accounts" && (runs === undefined || runs.has(waiter.runId));
}

/**
 * The registry of waiting streams, by account.
 *
 * @example
 * const hub = new StreamHub();
 * const waiter = hub.register("acme", "run-1");
 * hub.notify(new Map([["acme", new Set(["run-1"])]])); // waiter.dirty === true
 */
export class StreamHub implements CommitListener {
  private readonly byAccount = new Map<string, Set<Waiter>>();
  private readonly listeners = new Set<() => void>();
  private accountStreamCount = 0;

  register(accountId: string, runId?: string): StreamWaiter {
    const waiter = new Waiter(accountId, runId, (w) => this.remove(w));
    if (runId === undefined) this.accountStreamCount++;
    let set = this.byAccount.get(accountId);
    if (set === undefined) this.byAccount.set(accountId, (set = new Set()));
    set.add(waiter);
    return waiter;
  }

  /** Wakes the streams the notice concerns, of the kinds `scope` names. */
  notify(notice: CommitNotice, scope: NoticeScope = "all"): void {
    for (const listener of this.listeners) listener();
    for (const [accountId, runs] of notice) {
      const waiters = this.byAccount.get(accountId);
      if (waiters === undefined) continue;
      for (const waiter of waiters) if (wakes(waiter, runs, scope)) waiter.notify();
    }
  }

  /** Wakes every stream (a poll, or a signal that cannot say which accounts changed). */
  notifyAll(): void {
    for (const listener of this.listeners) listener();
    for (const waiters of this.byAccount.values()) for (const waiter of waiters) waiter.notify();
  }

  /** Called before every notification (shared store reads in flight stop being joinable). */
  onNotify(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Account streams registered now (they read committed events only). */
  get accountStreams(): number {
    return this.accountStreamCount;
  }

  /** Streams registered now. */
  get size(): number {
    let size = 0;
    for (const waiters of this.byAccount.values()) size += waiters.size;
    return size;
  }

  private remove(waiter: Waiter): void {
    const set = this.byAccount.get(waiter.accountId);
    if (set?.delete(waiter) !== true) return;
    if (waiter.runId === undefined) this.accountStreamCount--;
    if (set.size === 0) this.byAccount.delete(waiter.accountId);
  }
}
