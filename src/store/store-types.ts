/**
 * The store contract: what every adapter (SQLite, PostgreSQL) stores and answers. The writer and
 * the conformance suite speak only this interface, so an adapter is swappable by construction.
 * It owns every type it names (truncation records, projection deltas): no import back.
 */
import type { JsonFault, RuntrailEvent } from "../events/index.js";
import type { ErrorInfo } from "../events/index.js";
import type { Progress } from "../events/index.js";
import type { RunStatus, StepStatus } from "../projections/index.js";

/** A field stored truncated: where, and the size (bytes) and sha256 (hex) of its original JSON text. */
export interface TruncatedField {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** An event as stored: the event itself plus its place in the store's global commit order. */
export interface StoredEvent {
  /** Global commit order across all runs (SQLite rowid, PostgreSQL bigserial); strictly increasing. */
  readonly cursor: number;
  readonly event: RuntrailEvent;
  /** Fields stored truncated because they exceeded the payload limit, with original size and hash. */
  readonly truncated?: readonly TruncatedField[];
}

/** One page of results and the token to pass back for the next one (absent on the last page). */
export interface Page<T, N = string> {
  readonly items: readonly T[];
  readonly next?: N;
}


/** The runs table: one row per run, kept up to date as events are written. */
export interface RunRecord {
  readonly runId: string;
  readonly accountId: string;
  readonly workflow: { readonly name: string; readonly version?: string };
  readonly status: RunStatus;
  readonly parentRunId?: string;
  /** ts of the run's first stored event. */
  readonly startedAt: number;
  /** ts of the run's latest stored event. */
  readonly lastEventAt: number;
  readonly endedAt?: number;
  /** The terminal event's `durationMs`, when the run has ended. */
  readonly durationMs?: number;
  readonly lastSeq: number;
  readonly eventCount: number;
  readonly progress?: Progress;
  readonly error?: ErrorInfo;
  readonly stepsCompleted: number;
  readonly stepsFailed: number;
  readonly stepsSkipped: number;
  readonly retries: number;
  /** Issues (non-fatal warnings) reported by the run's steps. */
  readonly issueCount: number;
  /** Sub-workflow runs: the parent run's step that started this run (its `parentStepId`). */
  readonly parentStepId?: string;
  /** While the run is suspended: what its latest `run.suspended` said (who, why, the wait). */
  readonly suspension?: RunSuspension;
}

/**
 * What a suspended run's row holds of its latest `run.suspended`: who paused it and why, or the
 * signal a step waits for with its deadline and payload schema. Cleared by the next status change.
 */
export interface RunSuspension {
  /** ts of the `run.suspended`. */
  readonly since: number;
  readonly seq: number;
  readonly reason?: string;
  /** Who asked: `caller`, an API token, `control:<handler>`, `step:<stepId>`. */
  readonly by?: string;
  /** The signal a step waits for (`ctx.waitFor(name)`); absent for a pause asked from outside. */
  readonly waitingFor?: string;
  /** The waiting step. */
  readonly stepId?: string;
  readonly timeoutMs?: number;
  /** Epoch ms after which the wait times out. */
  readonly deadline?: number;
  /** The JSON Schema the signal's payload must match (left out above 16 KB: the row is rewritten every batch). */
  readonly schema?: unknown;
}

/** The steps table: one row per step (and loop path) of a run. */
export interface StepRecord {
  readonly runId: string;
  readonly stepId: string;
  /** Loop iteration path, `[]` outside loops. */
  readonly path: readonly number[];
  readonly status: StepStatus;
  readonly attempts: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  /** `durationMs` of the last attempt that ended. */
  readonly durationMs?: number;
  /** Sum of `durationMs` over every attempt that ended. */
  readonly totalDurationMs: number;
  readonly failures: number;
  readonly error?: ErrorInfo;
}

/** A row ready to write: the event (JSON-safe, redacted), its JSON body (truncated) and truncation record. */
export interface PreparedEvent {
  readonly event: RuntrailEvent;
  readonly body: string;
  readonly truncated: string | null;
  /** The values JSON could not hold as they were, now markers in `event` and `body`; absent when none. */
  readonly faults?: readonly JsonFault[];
}

/** One atomic write: events in seq order per run, and the projection deltas they imply. */
export interface AppendBatch {
  readonly events: readonly PreparedEvent[];
  readonly runs: readonly RunDelta[];
  readonly steps: readonly StepDelta[];
  /**
   * Set on a retry after a failure whose outcome is unknown (a connection lost during COMMIT):
   * the adapter first checks whether the batch is already stored and then writes nothing.
   */
  readonly maybeStored?: boolean;
}

/** What an append committed. */
export interface AppendResult {
  /**
   * The cursor of each event of the batch, aligned with `batch.events`. Absent when a retry found
   * the batch already committed (`maybeStored`), the one case where the adapter wrote nothing.
   */
  readonly cursors?: readonly number[];
}

/** Options of {@link EventStore.readRun}. */
export interface ReadRunOptions {
  /** Events with seq strictly greater than this. Default 0 (from the start). */
  after?: number;
  /** Page size. Default 500, at most 10,000. */
  limit?: number;
}

/**
 * A run's step rows as columns, in {@link EventStore.listSteps}'s order: each step id and status
 * once (`step` and `status` index into them), one entry per row in every other column, null where
 * the row has no value. What a run view draws from, without an object per row.
 */
export interface StepColumns {
  readonly stepIds: readonly string[];
  readonly statuses: readonly StepStatus[];
  readonly step: readonly number[];
  readonly path: readonly (readonly number[])[];
  readonly status: readonly number[];
  readonly attempts: readonly number[];
  readonly failures: readonly number[];
  /** Epoch ms. */
  readonly startedAt: readonly (number | null)[];
  /** Epoch ms. */
  readonly endedAt: readonly (number | null)[];
  readonly durationMs: readonly (number | null)[];
  readonly totalDurationMs: readonly number[];
  /** The rows with an error (their last failure), by row index. */
  readonly errors: readonly { readonly row: number; readonly error: ErrorInfo }[];
}

/** Options of {@link EventStore.readStepEvents}. */
export interface ReadStepEventsOptions {
  /** The loop iteration path of the step's row, `[]` (the default) outside loops. */
  path?: readonly number[];
  /** Events with seq strictly greater than this. Default 0 (from the start). */
  after?: number;
  /** Page size. Default 500, at most 10,000. */
  limit?: number;
}

/** Options of {@link EventStore.findEvents}. Every filter is optional; all given must hold. */
export interface FindEventsOptions {
  runId?: string;
  /** Exact type names. */
  type?: string | readonly string[];
  stepId?: string;
  /** Inclusive lower bound on `ts` (epoch ms). */
  from?: number;
  /** Exclusive upper bound on `ts`. */
  to?: number;
  /** Events with cursor strictly greater than this (the previous page's `next`). */
  afterCursor?: number;
  limit?: number;
}

/** Options of {@link EventStore.listRuns}: newest first. */
export interface ListRunsOptions {
  status?: RunStatus | readonly RunStatus[];
  workflow?: string;
  /** Runs started at or after this ts. */
  from?: number;
  /** Runs started before this ts. */
  to?: number;
  /** Only runs whose steps reported issues (seed 003's "runs with issues"). */
  withIssues?: boolean;
  /** Only the sub-workflow runs started by this run. */
  parentRunId?: string;
  /** The previous page's `next`. */
  pageToken?: string;
  limit?: number;
}

/** Scope of the analytics queries. */
export interface AnalyticsOptions {
  workflow?: string;
  /** Runs started at or after this ts. */
  from?: number;
  /** Runs started before this ts. */
  to?: number;
}

/** Duration statistics of one step over completed attempts (nearest-rank p95). */
export interface StepDurationStat {
  readonly stepId: string;
  readonly count: number;
  readonly avgMs: number;
  readonly p95Ms: number;
}

/** Failure counts of one step: failed attempts, and runs in which it ended failed. */
export interface StepFailureStat {
  readonly stepId: string;
  readonly failures: number;
  readonly runsFailed: number;
}

/** Options of {@link EventStore.stepSeries}: one workflow's steps over a time range, in buckets. */
export interface StepSeriesOptions {
  readonly workflow: string;
  /** Bucket width (ms, a positive integer). Buckets start at whole multiples of it since the epoch (UTC). */
  readonly bucketMs: number;
  /** Steps that ended at or after this ts (epoch ms). */
  readonly from: number;
  /** Steps that ended before this ts. */
  readonly to: number;
}

/**
 * One step's outcomes in one bucket. A step (per run and loop path) counts in the bucket where it
 * last ended (its row's `endedAt`), and so do its failed attempts: the same rows and rules as
 * {@link EventStore.stepDurations} and {@link EventStore.stepFailures}, cut by time.
 */
export interface StepSeriesPoint {
  /** The bucket's start (epoch ms). */
  readonly t: number;
  /** Steps that completed. */
  readonly completed: number;
  /** Failed attempts. */
  readonly failures: number;
  /** Runs in which the step ended failed. */
  readonly runsFailed: number;
  /** Average duration of the completed ones; absent when none completed. */
  readonly avgMs?: number;
  /** Nearest-rank p95 duration of the completed ones; absent when none completed. */
  readonly p95Ms?: number;
}

/** A step's points, in time order; a bucket where the step neither completed nor failed has none. */
export interface StepSeries {
  readonly stepId: string;
  readonly points: readonly StepSeriesPoint[];
}

/** What a retention sweep deleted. */
export interface RetentionResult {
  readonly runs: number;
  readonly events: number;
}

/**
 * An event store. Every query takes the account first: an account never sees another's runs.
 * Adapters: `openSqliteStore` (`runtrail/sqlite`) and `openPostgresStore` (`runtrail/postgres`).
 *
 * @example
 * const store = await openSqliteStore({ path: "./runtrail.db" });
 * const page = await store.readRun("default", "run-1", { after: 0, limit: 100 });
 * for (const { event } of page.items) console.log(event.seq, event.type);
 */
export interface EventStore {
  readonly kind: string;
  /** Writes one batch atomically (events + projections). Used by the writer. */
  append(batch: AppendBatch): Promise<AppendResult>;
  /** Events of a run with seq > `after`, in seq order; `next` is the last seq of the page. */
  readRun(accountId: string, runId: string, options?: ReadRunOptions): Promise<Page<StoredEvent, number>>;
  /** Events matching the filters in cursor order; `next` is the last cursor of the page. */
  findEvents(accountId: string, options?: FindEventsOptions): Promise<Page<StoredEvent, number>>;
  getRun(accountId: string, runId: string): Promise<RunRecord | undefined>;
  listRuns(accountId: string, options?: ListRunsOptions): Promise<Page<RunRecord>>;
  listSteps(accountId: string, runId: string): Promise<readonly StepRecord[]>;
  /** The same rows as {@link listSteps}, as columns: about a third of the time for thousands of rows. */
  listStepColumns(accountId: string, runId: string): Promise<StepColumns>;
  /** The row of one step of a run: its id and loop path (`[]` outside loops). */
  getStep(accountId: string, runId: string, stepId: string, path: readonly number[]): Promise<StepRecord | undefined>;
  /**
   * The events of one step row (its id and loop path) with seq > `after`, in seq order; `next`
   * is the last seq of the page. What a step's detail (input, output, attempts, calls) is read from.
   */
  readStepEvents(accountId: string, runId: string, stepId: string, options?: ReadStepEventsOptions): Promise<Page<StoredEvent, number>>;
  /** Average and p95 duration of completed steps, by step id, slowest average first. */
  stepDurations(accountId: string, options?: AnalyticsOptions): Promise<readonly StepDurationStat[]>;
  /** Failures by step id, most failures first. */
  stepFailures(accountId: string, options?: AnalyticsOptions): Promise<readonly StepFailureStat[]>;
  /**
   * A workflow's steps over time: per step id (sorted), per bucket of `bucketMs`, what completed,
   * failed and how long it took. Throws a RangeError for a bucket that is not a positive integer
   * or a range whose `from` is after its `to`.
   */
  stepSeries(accountId: string, options: StepSeriesOptions): Promise<readonly StepSeries[]>;
  /**
   * Deletes the account's runs whose latest event is older than `before` (epoch ms), with their
   * events and steps. Keyed on last activity, so a long run that is still emitting is kept.
   */
  deleteRunsBefore(accountId: string, before: number): Promise<RetentionResult>;
  /** The highest stored seq of a run (0 if none): where a restarted producer resumes. */
  lastSeq(accountId: string, runId: string): Promise<number>;
  /**
   * Creates or renews the lease `ownerId` (a process that executes runs) until `ttlMs` from now,
   * on the database's clock where there is one (PostgreSQL), so processes on machines whose
   * clocks disagree still agree on expiry. `recovers`: the workflows this process resumes after a
   * crash (crash recovery), which other sweepers then leave to it. Used by `createRunLease`.
   */
  renewLease(ownerId: string, holder: string, ttlMs: number, recovers?: readonly { readonly name: string; readonly version?: string | undefined }[]): Promise<LeaseRenewal>;
  /**
   * The live leases that resume some workflows after a crash (`recovers` of their renewal): a
   * sweeper that cannot resume an abandoned run leaves it to one of these instead of ending it.
   */
  recoveringLeases(): Promise<readonly RecoveringLease[]>;
  /** Deletes the lease (its process stopped cleanly); a run it still held is then abandoned. */
  releaseLease(ownerId: string): Promise<void>;
  /**
   * Runs that have not ended whose lease expired or is gone, in every account, oldest expiry
   * first: their process died. At most `limit`.
   */
  abandonedRuns(limit: number): Promise<readonly AbandonedRun[]>;
  /** Deletes expired leases that no unfinished run names any more; returns how many. */
  dropExpiredLeases(): Promise<number>;
  /**
   * Suspended runs that no live lease holds whose wait's deadline has passed, in every account,
   * earliest first, at most `limit`: their `signal.timeout` fires once a process resumes them.
   */
  dueRuns(limit: number): Promise<readonly DueRun[]>;
  /**
   * Ties the run to lease `ownerId` (a live one) in one transaction, only if no other process can
   * be executing it: the run is suspended and no live lease holds it, or the lease that held it
   * expired. Every resume path claims first (crash recovery, the signal route, `resumeRun` given
   * a lease), so exactly one of two racing resumers goes on with a run; the other is refused.
   */
  claimRun(accountId: string, runId: string, ownerId: string): Promise<RunClaim>;
  /**
   * Gives back a run `ownerId` claimed but will not execute: ties it to `to` (null: no process,
   * so it is suspended and unheld) if `ownerId` still holds it. Resolves whether it did.
   */
  releaseRun(accountId: string, runId: string, ownerId: string, to: string | null): Promise<boolean>;
  close(): Promise<void>;
}

/** A live lease and the workflows (name, version) its process resumes after a crash. */
export interface RecoveringLease {
  readonly ownerId: string;
  readonly workflows: readonly { readonly name: string; readonly version?: string }[];
}

/** What {@link EventStore.renewLease} found and did. */
export interface LeaseRenewal {
  /** The new expiry (epoch ms). */
  readonly expiresAt: number;
  /**
   * The lease had expired before this renewal, or was gone (a sweep drops an expired lease once
   * its runs are ended): for that while its runs counted as abandoned, and another process may
   * have ended them. Always true for a lease's first renewal, which creates it.
   */
  readonly lapsed: boolean;
}

/**
 * What {@link EventStore.claimRun} did: took the run (its status and last stored seq then, and
 * the expired lease that had held it), or refused, saying why.
 */
export type RunClaim =
  | { readonly claimed: true; readonly status: "running" | "suspended"; readonly lastSeq: number; readonly previousOwner?: string }
  | {
      readonly claimed: false;
      /**
       * `unknown` no such run; `ended` it has its terminal event; `held` a live lease (maybe the
       * claimant's own) holds it; `unleased` it is running under no lease; `lease-lapsed` the
       * claimant's own lease is not live.
       */
      readonly refusal: "unknown" | "ended" | "held" | "unleased" | "lease-lapsed";
      readonly message: string;
    };

/** A suspended run no process holds whose wait timed out (see {@link EventStore.dueRuns}). */
export interface DueRun {
  readonly accountId: string;
  readonly runId: string;
  readonly workflow: { readonly name: string; readonly version?: string };
  readonly parentRunId?: string;
  readonly lastSeq: number;
  /** The wait's deadline (epoch ms). */
  readonly wakeAt: number;
}

/** A run whose executing process's lease expired before the run ended. */
export interface AbandonedRun {
  readonly accountId: string;
  readonly runId: string;
  readonly workflow: { readonly name: string; readonly version?: string };
  readonly parentRunId?: string;
  readonly startedAt: number;
  readonly lastSeq: number;
  readonly leaseOwner: string;
  /** Who held the lease (host and pid), when the lease row is still there. */
  readonly holder?: string;
  /** When the lease expired (epoch ms); absent when it was released. */
  readonly expiredAt?: number;
}

/** How one batch changes one run's row. `statusSeq` 0 means the batch did not change its status. */
export interface RunDelta {
  runId: string;
  accountId: string;
  workflowName: string;
  workflowVersion: string | null;
  parentRunId: string | null;
  status: RunStatus;
  statusSeq: number;
  startedAt: number;
  /** ts of the batch's latest event: retention keys on a run's last activity. */
  lastEventAt: number;
  endedAt: number | null;
  durationMs: number | null;
  lastSeq: number;
  events: number;
  /** JSON text of the latest `progress.updated` progress in the batch. */
  progress: string | null;
  /** JSON text of the `run.failed` error. */
  error: string | null;
  stepsCompleted: number;
  stepsFailed: number;
  stepsSkipped: number;
  retries: number;
  issues: number;
  /** Absent or null: none (or the stored one is kept). */
  parentStepId?: string | null;
  /**
   * JSON text of the {@link RunSuspension} when the batch's latest status event is `run.suspended`;
   * merged with the status, so a later status change (absent or null here) clears it.
   */
  suspension?: string | null;
  /**
   * The lease of the process that executes the run (`store/lease`), set by a writer created with
   * `lease`: stored with the batch, so a run is never stored without the lease that answers for it.
   * Absent or null: the stored tie is kept.
   */
  leaseOwner?: string | null;
  /**
   * With a status change: the deadline (epoch ms) of the wait a `run.suspended` suspended the
   * run for, else null (no wait with a timeout). Absent: the batch did not change the status.
   */
  wakeAt?: number | null;
}

/** How one batch changes one step's row (a step is keyed by run, step id and loop path). */
export interface StepDelta {
  runId: string;
  accountId: string;
  stepId: string;
  /** The loop path as JSON text: `"[]"` outside loops. */
  path: string;
  status: StepStatus;
  statusSeq: number;
  attempts: number;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  totalDurationMs: number;
  failures: number;
  error: string | null;
}
