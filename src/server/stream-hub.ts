/**
 * Wake-ups for caught-up streams. A stream never takes its events from a wake-up: it re-reads the
 * store after its own cursor, so a wake-up that comes twice, late or for nothing costs a query
 * and never a gap or a duplicate. What must hold is only that every commit is followed by a
 * `notify` naming its account (and run); the commit signals in `commit-signal.ts` ensure that.
 */

/** One stream's registration: `dirty` is set by every matching notification until the stream reads. */
export interface StreamWaiter {
  /** Set when something was committed since the stream last cleared it. */
  dirty: boolean;
  /** Resolves on the next matching notification (at once if dirty), on `ms` elapsed, or on abort. */
  wait(ms: number, signal: AbortSignal): Promise<"woken" | "timeout" | "aborted">;
  dispose(): void;
}

/** Which runs of which accounts have new committed events; `undefined` runs: any run of the account. */
export type CommitNotice = ReadonlyMap<string, ReadonlySet<string> | undefined>;

class Waiter implements StreamWaiter {
  dirty = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly accountId: string,
    readonly runId: string | undefined,
    private readonly onDispose: (waiter: Waiter) => void,
  ) {}

  notify(): void {
    this.dirty = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  wait(ms: number, signal: AbortSignal): Promise<"woken" | "timeout" | "aborted"> {
    if (signal.aborted) return Promise.resolve("aborted");
    if (this.dirty) return Promise.resolve("woken");
    return new Promise((resolve) => {
      const done = (outcome: "woken" | "timeout" | "aborted"): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.wake = undefined;
        resolve(outcome);
      };
      const onAbort = (): void => done("aborted");
      const timer = setTimeout(() => done("timeout"), ms);
      signal.addEventListener("abort", onAbort, { once: true });
      this.wake = () => done("woken");
    });
  }

  dispose(): void {
    this.onDispose(this);
  }
}

/**
 * The registry of waiting streams, by account.
 *
 * @example
 * const hub = new StreamHub();
 * const waiter = hub.register("acme", "run-1");
 * hub.notify(new Map([["acme", new Set(["run-1"])]])); // waiter.dirty === true
 */
export class StreamHub {
  private readonly byAccount = new Map<string, Set<Waiter>>();
  private readonly listeners = new Set<() => void>();

  register(accountId: string, runId?: string): StreamWaiter {
    const waiter = new Waiter(accountId, runId, (w) => this.remove(w));
    let set = this.byAccount.get(accountId);
    if (set === undefined) this.byAccount.set(accountId, (set = new Set()));
    set.add(waiter);
    return waiter;
  }

  /** Wakes the streams the notice concerns. */
  notify(notice: CommitNotice): void {
    for (const listener of this.listeners) listener();
    for (const [accountId, runs] of notice) {
      const waiters = this.byAccount.get(accountId);
      if (waiters === undefined) continue;
      for (const waiter of waiters) {
        if (runs === undefined || waiter.runId === undefined || runs.has(waiter.runId)) waiter.notify();
      }
    }
  }

  /** Wakes every stream (a poll, or a signal that cannot say which accounts changed). */
  notifyAll(): void {
    for (const listener of this.listeners) listener();
    for (const waiters of this.byAccount.values()) for (const waiter of waiters) waiter.notify();
  }

  /** Called before every notification (the read cache drops its pages). */
  onNotify(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Streams registered now. */
  get size(): number {
    let size = 0;
    for (const waiters of this.byAccount.values()) size += waiters.size;
    return size;
  }

  private remove(waiter: Waiter): void {
    const set = this.byAccount.get(waiter.accountId);
    if (set === undefined) return;
    set.delete(waiter);
    if (set.size === 0) this.byAccount.delete(waiter.accountId);
  }
}
