/**
 * Run leases: how a run whose process died gets closed instead of staying `running` for ever.
 * Each process that executes runs holds a lease, a row it renews every `renewEveryMs` until
 * `ttlMs` from now. Its store writer (created with `{ lease }`) ties every run it stores to that
 * lease, in the batch's own transaction. Every lease holder also sweeps, on start and on each
 * renewal: an unfinished run whose lease expired (or was released) lost its process, and is
 * ended with a stored `run.failed` (`RunAbandoned`, see `abandoned-run.ts`) at the next seq.
 *
 * A process that stalls longer than `ttlMs` (a debugger, a frozen VM) may find its runs closed
 * by another; it is told so through `onError` when it renews (`lapsed`), and its writer's later
 * events of those runs are refused by the store (the seq is taken).
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { AbandonedRun, EventStore } from "../store-types.js";
import { closeAbandonedRun } from "./abandoned-run.js";

/** Options of {@link createRunLease}. */
export interface RunLeaseOptions {
  /** This process's lease id. Default: a random UUID. */
  readonly ownerId?: string;
  /** Who holds it, shown in an abandoned run's error. Default: host name and pid. */
  readonly holder?: string;
  /**
   * How long the lease lives without a renewal: how long a dead process's runs stay `running`
   * at most (plus one sweep interval). Default 30,000 ms.
   */
  readonly ttlMs?: number;
  /** Renewal (and sweep) interval. Default a third of `ttlMs`. */
  readonly renewEveryMs?: number;
  /** Most abandoned runs ended per sweep (the rest wait for the next). Default 100. */
  readonly sweepLimit?: number;
  /** A renewal or sweep that failed (retried at the next interval), or a lease that had lapsed. */
  readonly onError?: (error: Error) => void;
  /** Each run this process ended as abandoned. */
  readonly onAbandoned?: (run: AbandonedRun) => void;
}

/**
 * A held lease. Pass it to `createStoreWriter(bus, store, { lease })` so the runs that writer
 * stores are tied to it.
 */
export interface RunLease {
  readonly ownerId: string;
  /** Ends every abandoned run of the store now (other processes' runs whose lease expired). */
  sweep(): Promise<readonly AbandonedRun[]>;
  /**
   * Stops renewing and deletes the lease: call it after the writer is closed, once this process's
   * runs have ended. A run it still held counts as abandoned at the next sweep (of any process).
   */
  close(): Promise<void>;
}

class Lease implements RunLease {
  readonly ownerId: string;
  private readonly holder: string;
  private readonly ttlMs: number;
  private readonly timer: ReturnType<typeof setInterval>;
  /** The tick in flight: ticks never overlap, and close waits for the last one. */
  private ticking: Promise<void> = Promise.resolve();
  private closed: Promise<void> | undefined;
  /** Whether the lease row exists (a first renewal creates it, and is no lapse). */
  private held = false;

  constructor(
    private readonly store: EventStore,
    private readonly options: RunLeaseOptions,
  ) {
    this.ownerId = options.ownerId ?? randomUUID();
    this.holder = options.holder ?? `${hostname()} pid ${process.pid}`;
    this.ttlMs = Math.max(100, options.ttlMs ?? 30_000);
    const every = Math.max(10, options.renewEveryMs ?? Math.floor(this.ttlMs / 3));
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, every);
    // The lease exists for the runs; it must not keep an otherwise finished process alive.
    this.timer.unref();
  }

  async renew(): Promise<void> {
    const { lapsed, expiresAt } = await this.store.renewLease(this.ownerId, this.holder, this.ttlMs);
    const held = this.held;
    this.held = true;
    if (lapsed && held) {
      this.report(new Error(`run lease ${this.ownerId} had expired before this renewal (now until ${new Date(expiresAt).toISOString()}): this process stalled longer than ${this.ttlMs} ms, and its unfinished runs may have been ended as abandoned by another process`));
    }
  }

  private async tick(): Promise<void> {
    if (this.closed !== undefined) return;
    try {
      await this.renew();
      await this.sweep();
    } catch (error) {
      this.report(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async sweep(): Promise<readonly AbandonedRun[]> {
    const ended: AbandonedRun[] = [];
    for (const run of await this.store.abandonedRuns(this.options.sweepLimit ?? 100)) {
      if (await closeAbandonedRun(this.store, run, Date.now())) {
        ended.push(run);
        this.options.onAbandoned?.(run);
      }
    }
    await this.store.dropExpiredLeases();
    return ended;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.timer);
      await this.ticking;
      await this.store.releaseLease(this.ownerId);
    })();
    return this.closed;
  }

  private report(error: Error): void {
    if (this.options.onError === undefined) console.warn(`[runtrail] ${error.message}`);
    else this.options.onError(error);
  }
}

/**
 * Takes a lease in `store` for this process, ends the runs of leases that expired (processes that
 * died), and keeps renewing and sweeping until `close()`.
 *
 * @example
 * const lease = await createRunLease(store, { ttlMs: 15_000 });
 * const writer = createStoreWriter(bus, store, { lease });
 * // … run workflows on writer.bus …
 * await writer.close();
 * await lease.close();
 */
export async function createRunLease(store: EventStore, options: RunLeaseOptions = {}): Promise<RunLease> {
  const lease = new Lease(store, options);
  try {
    await lease.renew();
    await lease.sweep();
  } catch (error) {
    await lease.close().catch(() => undefined);
    throw error;
  }
  return lease;
}
