/**
 * The server's own commit signals (the contract, `CommitSignal`, is the store's): this process's
 * writer (events accepted or committed by it) and polling (for stores other processes write). Each
 * calls `hub.notify` only after the events it names are readable: in the live tail, or in the store.
 */
import type { EventBus } from "../../bus/index.js";
import { isTerminalRunEvent } from "../../events/index.js";
import { addRun, commitNotice, type CommitListener, type CommitSignal, type StoreWriter } from "../../store/index.js";
import type { LiveTail, TailCommitNotice } from "./live-tail.js";
import type { StreamHub } from "./stream-hub.js";

/**
 * When a run stream gets an event: `committed` (default) only once it is committed, so a client
 * is never shown an event a crash could lose; `accepted` (opt-in) as soon as this process's store
 * writer has taken it to store, before it is committed (lower latency, but a crash can lose events
 * a client was shown). Account streams always get committed events (their positions are store
 * cursors, known at commit).
 */
export type LiveMode = "accepted" | "committed";

/** Options of {@link writerCommitSignal}. */
export interface WriterSignalOptions {
  /**
   * The bus `writer` reads. With it, a commit is asked for (`writer.flush()`) as soon as events
   * are emitted while some stream waits for commits (in `committed` mode any, else an account
   * stream), so it does not wait for the writer's batch interval.
   */
  readonly bus?: EventBus;
  /** Filled with the writer's events before the streams are woken, so they take them from there. */
  readonly tail?: LiveTail;
  /** Default `committed`; `accepted` needs a `tail` (without one, `committed` is used). */
  readonly live?: LiveMode;
}

/**
 * Signals the writes of `writer` (this process's runs) as the writer makes them.
 *
 * `committed` mode (default): each committed batch goes to the live tail, then wakes exactly the
 * streams of the accounts and runs it holds.
 *
 * `accepted` mode: each event the writer takes goes to the live tail at once, and the run's
 * streams are woken once the writer has read the events in flight (so a burst of events is one
 * wake-up and one send per stream, not one per event). Each commit then wakes the account
 * streams, and the run streams only where the tail could not have shown them the committed events
 * (or the run ended: streams send `end` once the run's last event is committed). The terminal
 * event of a run asks for a commit at once.
 *
 * The writer calls its listeners before `flush()` resolves, so whoever is told "committed" finds
 * the events in the tail and in the store.
 *
 * @example
 * const signal = writerCommitSignal(writer, hub, { bus, tail }); // committed events only
 */
export function writerCommitSignal(writer: StoreWriter, hub: StreamHub, options: WriterSignalOptions = {}): CommitSignal {
  const { bus, tail } = options;
  const live: LiveMode = tail === undefined ? "committed" : (options.live ?? "committed");

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
  // One flush in flight at a time; events emitted meanwhile are committed by the next one.
  // Started after the emit returns: the writer counts the event in a listener of its own, which
  // may run after this one, and `flush` only waits for events it has counted.
  const requestFlush = (): void => {
    if (flushing === undefined) flushing = Promise.resolve().then(flushLoop);
    else again = true;
  };

  // The runs accepted since the last wake-up; a wake-up is due while it is not empty.
  let accepted = new Map<string, Set<string>>();
  const wakeRunStreams = (): void => {
    if (accepted.size === 0) return;
    const notice = accepted;
    accepted = new Map();
    hub.notify(notice, "runs");
  };
  // The wake-up runs once the microtasks in flight are done (the writer reads a burst of events in
  // one chain of them), so a burst is still one wake-up; but before the event loop moves on. What
  // the loop runs between its phases (the writer's commit answers, garbage collection scheduled as
  // a task) then never lands between an event's emit and its send. With `setImmediate` it could:
  // at 10,000 events/s to one client, the server's emit-to-send p99 was 1.0 to 7.8 ms over 4
  // samples, and 0.7 to 1.0 ms (one sample 3.7) with `nextTick`.
  const stopAccepts =
    live === "accepted" && tail !== undefined
      ? writer.onAccept((prepared) => {
          const { event } = prepared;
          tail.accept(prepared);
          if (accepted.size === 0) process.nextTick(wakeRunStreams);
          addRun(accepted, event.accountId, event.runId);
          if (isTerminalRunEvent(event.type)) requestFlush();
        })
      : undefined;

  const stopCommits = writer.onCommit((batch) => {
    let unseen: TailCommitNotice | undefined;
    try {
      unseen = tail?.commit(batch);
    } finally {
      // Streams must wake whatever happened to the tail: they then read the store. In `accepted`
      // mode, run streams have had the batch's events from the tail, all but the runs `unseen`.
      if (live === "committed" || unseen === undefined) hub.notify(commitNotice(batch));
      else {
        hub.notify(commitNotice(batch), "accounts");
        if (unseen.size > 0) hub.notify(unseen, "runs");
      }
    }
  });

  const stopEvents = bus?.onEvent(() => {
    if (live === "committed" || hub.accountStreams > 0) requestFlush();
  });
  return {
    async close() {
      stopEvents?.();
      stopAccepts?.();
      wakeRunStreams();
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
export function pollingCommitSignal(hub: CommitListener, intervalMs: number): CommitSignal {
  const timer = setInterval(() => hub.notifyAll(), intervalMs);
  timer.unref();
  return {
    close() {
      clearInterval(timer);
      return Promise.resolve();
    },
  };
}
