/**
 * Commit signals: how the server learns that events were committed to the store, so caught-up
 * streams re-read. Each signal calls `hub.notify` only after the events it names are readable.
 */
import type { EventBus } from "../bus/bus.js";
import type { StoreWriter } from "../store/store-writer.js";
import type { StreamHub } from "./stream-hub.js";

/** A running signal; `close` stops it. */
export interface CommitSignal {
  close(): Promise<void>;
}

/**
 * Signals commits of the events emitted on `bus` and written by `writer` (this process's runs).
 * The writer hands out no commit hook, so events seen on the bus are grouped and the group is
 * announced once `writer.flush()` (which resolves after everything emitted before it is committed)
 * resolves; groups follow one another, so a burst costs one flush per commit, not per event.
 *
 * @example
 * const signal = busCommitSignal(bus, writer, hub);
 */
export function busCommitSignal(bus: EventBus, writer: StoreWriter, hub: StreamHub): CommitSignal {
  let pending = new Map<string, Set<string>>();
  let running: Promise<void> | undefined;
  let closed = false;

  const drain = async (): Promise<void> => {
    while (pending.size > 0 && !closed) {
      const notice = pending;
      pending = new Map();
      await writer.flush();
      hub.notify(notice);
    }
    running = undefined;
  };

  const stop = bus.onEvent((event) => {
    let runs = pending.get(event.accountId);
    if (runs === undefined) pending.set(event.accountId, (runs = new Set()));
    runs.add(event.runId);
    // Started after the emit returns: the writer counts the event in a listener of its own, which
    // may run after this one, and `flush` only waits for events it has counted.
    if (running === undefined) running = Promise.resolve().then(drain);
  });

  return {
    async close() {
      stop();
      await running;
      closed = true;
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
