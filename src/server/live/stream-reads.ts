/**
 * One store read for many streams: streams that ask for the same page (same account, same run or
 * filter, same position) while a read of it is in flight share that read instead of each querying,
 * parsing and validating the same rows.
 *
 * Why sharing cannot lose a commit: a stream reads again only after a commit notification woke it,
 * and every notification first empties this registry (`hub.onNotify`). So a stream only ever joins
 * a read that started after the last notification, which therefore sees every commit notified so
 * far, the one that woke the stream included. A commit not yet notified wakes the stream later.
 */
import type { StreamHub } from "./stream-hub.js";

/**
 * The registry of store reads in flight, emptied at every commit notification.
 *
 * @example
 * const reads = new SharedReads(hub);
 * const page = await reads.read(JSON.stringify(["run", accountId, runId, after]), () => store.readRun(accountId, runId, { after }));
 */
export class SharedReads {
  private inFlight = new Map<string, Promise<unknown>>();

  constructor(hub: StreamHub) {
    hub.onNotify(() => {
      if (this.inFlight.size > 0) this.inFlight = new Map();
    });
  }

  /** The read in flight under `key` if one started since the last notification, else `load()`. */
  read<T>(key: string, load: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running !== undefined) return running as Promise<T>;
    const started = load();
    const registry = this.inFlight;
    registry.set(key, started);
    const forget = (): void => {
      if (registry.get(key) === started) registry.delete(key);
    };
    void started.then(forget, forget);
    return started;
  }

  /** Reads in flight now (for tests). */
  get size(): number {
    return this.inFlight.size;
  }
}
