/**
 * Commit signals: how the server learns that events were committed to the store, so caught-up
 * streams read again. Each signal calls `hub.notify` only after the events it names are readable.
 */
import type { EventBus } from "../bus/bus.js";
import type { CommittedBatch, StoreWriter } from "../store/store-writer.js";
import type { LiveTail } from "./live-tail.js";
import type { StreamHub } from "./stream-hub.js";

/** A running signal; `close` stops it. */
export interface CommitSignal {
  close(): Promise<void>;
}

/** Options of {@link writerCommitSignal}. */
export interface WriterSignalOptions {
  /**
   * The bus `writer` reads. With it, a commit is asked for (`writer.flush()`) as soon as events
   * are emitted, so live streams do not wait for the writer's batch interval.
   */
  readonly bus?: EventBus;
  /** Filled with each committed batch before the streams are woken, so they take it from there. */
  readonly tail?: LiveTail;
}

/** The accounts and runs a committed batch touches, added to `into` (a new notice by default). */
export function commitNotice(batch: CommittedBatch, into = new Map<string, Set<string>>()): Map<string, Set<string>> {
  const notice = into;
  let accountId = "";
  let runs: Set<string> | undefined;
  for (const { event } of batch.events) {
    if (runs === undefined || event.accountId !== accountId) {
      accountId = event.accountId;
      runs = notice.get(accountId);
      if (runs === undefined) notice.set(accountId, (runs = new Set()));
    }
    runs.add(event.runId);
  }
  return notice;
}

/**
 * Signals the commits of `writer` (this process's runs) as the writer makes them: each committed
 * batch goes to the live tail, then wakes exactly the streams of the accounts and runs it holds.
 * The writer calls its commit listeners before `flush()` resolves, so whoever is told "committed"
 * finds the events in the tail and in the store.
 *
 * @example
 * const signal = writerCommitSignal(writer, hub, { bus, tail });
 */
export function writerCommitSignal(writer: StoreWriter, hub: StreamHub, options: WriterSignalOptions = {}): CommitSignal {
  const { bus, tail } = options;
  const stopCommits = writer.onCommit((batch) => {
    try {
      tail?.add(batch);
    } finally {
      // Streams must wake whatever happened to the tail: they then read the store.
      hub.notify(commitNotice(batch));
    }
  });
  let flushing: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const flushLoop = async (): Promise<void> => {
    do {
      again = false;
      await writer.flush();
    } while (again && !closed);
    flushing = undefined;
  };
  const stopEvents = bus?.onEvent(() => {
    // One flush in flight at a time; events emitted meanwhile are committed by the next one.
    // Started after the emit returns: the writer counts the event in a listener of its own, which
    // may run after this one, and `flush` only waits for events it has counted.
    if (flushing === undefined) flushing = Promise.resolve().then(flushLoop);
    else again = true;
  });
  return {
    async close() {
      stopEvents?.();
      await flushing;
      closed = true;
      stopCommits();
    },
  };
}

/**
 * Wakes every stream every `intervalMs`: for stores that other processes write without notifying.
 *
 * @example
 * const signal = pollingCommitSignal(hub, 1_000);
 */
export function pollingCommitSignal(hub: StreamHub, intervalMs: number): CommitSignal {
  const timer = setInterval(() => hub.notifyAll(), intervalMs);
  timer.unref();
  return {
    close() {
      clearInterval(timer);
      return Promise.resolve();
    },
  };
}
