/**
 * Run leases: how a run whose process died gets closed instead of staying `running` for ever.
 * Each process that executes runs holds a lease, a row it renews every `renewEveryMs` until
 * `ttlMs` from now. Its store writer (created with `{ lease }`) ties every run it stores to that
 * lease, in the batch's own transaction. Every lease holder also sweeps, on start and on each
 * renewal: an unfinished run whose lease expired (or was released) lost its process, and is
 * ended with a stored `run.failed` (`RunAbandoned`, see `abandoned-run.ts`) at the next seq.
 *
 * A sweep claims each such run for its own lease first (`store.claimRun`, atomic), so of several
 * sweepers exactly one acts on a run. With `recover` (crash recovery, the engine's
 * `recoverWorkflows`), a run of a workflow registered here with `recover: "resume"` is resumed
 * from its trail in this process instead of being ended.
 *
 * A process that stalls longer than `ttlMs` (a debugger, a frozen VM) may find its runs closed
 * by another; it is told so through `onError` when it renews (`lapsed`), and its writer's later
 * events of those runs are refused by the store (the seq is taken).
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { AbandonedRun, DueRun, EventStore, RunClaim } from "../store-types.js";
import { closeAbandonedRun } from "./abandoned-run.js";
import { isRunFinished } from "../../projections/index.js";

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
  /**
   * Crash recovery: resumes here, from its trail, each abandoned run it accepts (the engine's
   * `recoverWorkflows([...], { bus })` makes one) instead of ending it. The sweep `createRunLease`
   * runs before it returns leaves those runs for the next one (a renewal, or a `sweep()` call),
   * so create the store writer on the recovery's bus first: then nothing a resumed run emits is
   * missed.
   */
  readonly recover?: RunRecovery;
  /** Each abandoned run this process resumed (`recover`), or left suspended with no process holding it. */
  readonly onRecovered?: (run: AbandonedRun, outcome: "resumed" | "released") => void;
  /** Each suspended run no process held that this process resumed for its wait's timeout to fire (`recover`). */
  readonly onWoken?: (run: DueRun) => void;
}

/**
 * What became of an abandoned run a recovery was given: it goes on in this process (`resumed`);
 * it was suspended with nothing left to run, so it is left suspended and held by no process
 * (`released`: a signal resumes it anywhere); or it cannot be resumed (`refused`), and is ended
 * as abandoned with the reason.
 */
export type RecoveryOutcome = { readonly outcome: "resumed" } | { readonly outcome: "released" } | { readonly outcome: "refused"; readonly reason: string };

/**
 * Crash recovery as the lease's sweep uses it. The engine's `recoverWorkflows` makes one; any
 * object of this shape fits.
 */
export interface RunRecovery {
  /** Whether this process resumes `run` (asked before claiming it; false: the run is ended as before). */
  accepts(run: AbandonedRun): boolean;
  /**
   * The workflows it resumes, stored with the lease at each renewal: another process's sweep
   * that cannot resume a run of one of them leaves it for this one instead of ending it.
   */
  recovers?(): readonly { readonly name: string; readonly version?: string | undefined }[];
  /** Goes on with `run`, which this lease has claimed, from its trail in `store`. */
  recover(run: AbandonedRun, store: EventStore): Promise<RecoveryOutcome>;
  /**
   * Whether this process resumes a suspended run no process holds whose wait timed out (its
   * workflow is registered here, whatever its `recover`): the timeout then fires in this process.
   */
  wakes?(run: DueRun): boolean;
  /** Goes on with `run`, which this lease has claimed, so its wait's timeout fires. */
  wake?(run: DueRun, store: EventStore): Promise<RecoveryOutcome>;
}

/**
 * A held lease. Pass it to `createStoreWriter(bus, store, { lease })` so the runs that writer
 * stores are tied to it.
 */
export interface RunLease {
  readonly ownerId: string;
  /**
   * Ends every abandoned run of the store now (other processes' runs whose lease expired), or
   * with `recover` resumes those it accepts. Resolves with the runs it ended.
   */
  sweep(): Promise<readonly AbandonedRun[]>;
  /**
   * Ties a run to this lease if no other process can be executing it (`store.claimRun`): what
   * every resume path does first, so a run goes on in exactly one process.
   *
   * @example
   * const claim = await lease.claim("acme", runId);
   * if (!claim.claimed) throw new Error(claim.message);
   */
  claim(accountId: string, runId: string): Promise<RunClaim>;
  /** Gives back a run this lease claimed but will not execute (to `to`: null, no process). */
  release(accountId: string, runId: string, to: string | null): Promise<boolean>;
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
  /** Off for the sweep `createRunLease` runs: the caller's writer is not on the recovery's bus yet. */
  private recovering = false;

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
    const { lapsed, expiresAt } = await this.store.renewLease(this.ownerId, this.holder, this.ttlMs, this.options.recover?.recovers?.());
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

  sweep(): Promise<readonly AbandonedRun[]> {
    this.recovering = true;
    return this.sweepNow();
  }

  /** The sweep `createRunLease` runs: it ends what is abandoned, and leaves to later what `recover` would resume. */
  firstSweep(): Promise<readonly AbandonedRun[]> {
    return this.sweepNow();
  }

  private async sweepNow(): Promise<readonly AbandonedRun[]> {
    const ended: AbandonedRun[] = [];
    const recovery = this.options.recover;
    let elsewhere: Set<string> | undefined;
    for (const found of await this.store.abandonedRuns(this.options.sweepLimit ?? 100)) {
      if (found.parentRunId !== undefined) {
        // A sub-workflow run goes on (or ends) with its parent: left while the parent is open.
        const parent = await this.store.getRun(found.accountId, found.parentRunId);
        if (parent !== undefined && !isRunFinished(parent.status)) continue;
      }
      const accepted = recovery?.accepts(found) === true;
      if (accepted && !this.recovering) continue;
      if (!accepted && found.parentRunId === undefined) {
        // Another live process resumes runs of this workflow: it is that one's to resume, not ours to end.
        elsewhere ??= await this.recoveredElsewhere();
        if (elsewhere.has(workflowKey(found.workflow))) continue;
      }
      // Claimed first: of several sweepers (and resumers) exactly one acts on the run.
      const claim = await this.claim(found.accountId, found.runId);
      if (!claim.claimed) continue;
      // The row as the claim read it: nothing can be written to the run since.
      const run: AbandonedRun = { ...found, lastSeq: claim.lastSeq };
      let reason: string | undefined;
      if (accepted && recovery !== undefined) {
        let outcome: RecoveryOutcome;
        try {
          outcome = await recovery.recover(run, this.store);
        } catch (error) {
          // Not a refusal (a read that failed): the run is given back as found, for the next sweep.
          await this.release(run.accountId, run.runId, claim.previousOwner ?? null);
          this.report(new Error(`run ${run.runId} (${run.workflow.name}) could not be recovered now, retried at the next sweep: ${error instanceof Error ? error.message : String(error)}`));
          continue;
        }
        if (outcome.outcome === "released") await this.release(run.accountId, run.runId, null);
        if (outcome.outcome !== "refused") {
          this.options.onRecovered?.(run, outcome.outcome);
          continue;
        }
        reason = outcome.reason;
      }
      if (await closeAbandonedRun(this.store, run, Date.now(), reason)) {
        ended.push(run);
        this.options.onAbandoned?.(run);
      }
    }
    if (this.recovering) await this.wakeDue();
    await this.store.dropExpiredLeases();
    return ended;
  }

  /**
   * Resumes the suspended runs no process holds whose wait timed out meanwhile: without a process
   * a wait's timer is only its stored deadline, and the timeout would otherwise fire at the next
   * resume (a signal), however late.
   */
  private async wakeDue(): Promise<void> {
    const recovery = this.options.recover;
    if (recovery?.wakes === undefined || recovery.wake === undefined) return;
    for (const due of await this.store.dueRuns(this.options.sweepLimit ?? 100)) {
      if (!recovery.wakes(due)) continue;
      const claim = await this.claim(due.accountId, due.runId);
      if (!claim.claimed) continue;
      const outcome = await recovery.wake(due, this.store).catch((error: unknown): RecoveryOutcome => ({ outcome: "refused", reason: error instanceof Error ? error.message : String(error) }));
      if (outcome.outcome === "resumed") {
        this.options.onWoken?.(due);
        continue;
      }
      // Not executing it: back to the lease it had (or none), as the claim found it.
      await this.release(due.accountId, due.runId, claim.previousOwner ?? null);
      if (outcome.outcome === "refused") this.report(new Error(`run ${due.runId} (${due.workflow.name}) is due for its wait's timeout but was not resumed: ${outcome.reason}`));
    }
  }

  /** The workflows (by {@link workflowKey}) other live leases resume after a crash. */
  private async recoveredElsewhere(): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const lease of await this.store.recoveringLeases()) {
      if (lease.ownerId !== this.ownerId) for (const workflow of lease.workflows) keys.add(workflowKey(workflow));
    }
    return keys;
  }

  claim(accountId: string, runId: string): Promise<RunClaim> {
    return this.store.claimRun(accountId, runId, this.ownerId);
  }

  release(accountId: string, runId: string, to: string | null): Promise<boolean> {
    return this.store.releaseRun(accountId, runId, this.ownerId, to);
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

const workflowKey = (workflow: { readonly name: string; readonly version?: string | undefined }): string => JSON.stringify([workflow.name, workflow.version ?? null]);

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
    await lease.firstSweep();
  } catch (error) {
    await lease.close().catch(() => undefined);
    throw error;
  }
  return lease;
}
