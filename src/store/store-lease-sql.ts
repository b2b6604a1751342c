/**
 * The lease statements both adapters run (`?` placeholders; PostgreSQL's are renumbered), and the
 * row of an abandoned run. "Now" is a parameter: the adapter passes its clock (PostgreSQL the
 * database's own, so processes whose clocks disagree agree on expiry).
 */
import type { AbandonedRun, DueRun, RecoveringLease } from "./store-types.js";

/** Statuses of a run that has not ended: the ones a dead process can leave behind. */
const OPEN_STATUSES = "('running', 'suspended')";

/** Upsert of a lease: params owner, holder, now, now, now + ttl, recovers (JSON or null). */
export const RENEW_LEASE_SQL = `INSERT INTO leases AS leases (owner_id, holder, acquired_at, renewed_at, expires_at, recovers)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (owner_id) DO UPDATE SET holder = excluded.holder, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at,
    recovers = excluded.recovers`;

/** Live leases that resume some workflows after a crash: params now. */
export const RECOVERING_LEASES_SQL = "SELECT owner_id, recovers FROM leases WHERE expires_at >= ? AND recovers IS NOT NULL";

/** A workflow a lease advertises as one it resumes, as `leases.recovers` stores it (a JSON array of these). */
export type RecoversEntry = readonly [name: string, version: string | null];

/** `leases.recovers` of a lease that resumes `workflows` (null: none). */
export function recoversText(workflows: readonly { readonly name: string; readonly version?: string | undefined }[] | undefined): string | null {
  if (workflows === undefined || workflows.length === 0) return null;
  return JSON.stringify(workflows.map((wf): RecoversEntry => [wf.name, wf.version ?? null]));
}

/** The live leases' advertised workflows, from {@link RECOVERING_LEASES_SQL} rows (a row that does not parse names none). */
export function toRecoveringLeases(rows: readonly { owner_id: string; recovers: string }[]): RecoveringLease[] {
  return rows.map((row) => {
    let entries: unknown;
    try {
      entries = JSON.parse(row.recovers);
    } catch {
      entries = [];
    }
    const workflows = Array.isArray(entries)
      ? entries.filter((e): e is RecoversEntry => Array.isArray(e) && typeof e[0] === "string" && (e[1] === null || typeof e[1] === "string")).map(([name, version]) => (version === null ? { name } : { name, version }))
      : [];
    return { ownerId: row.owner_id, workflows };
  });
}

/** The stored expiry before a renewal (to tell a lapsed lease): params owner. */
export const LEASE_EXPIRY_SQL = "SELECT expires_at FROM leases WHERE owner_id = ?";

export const RELEASE_LEASE_SQL = "DELETE FROM leases WHERE owner_id = ?";

/**
 * Unfinished runs whose lease expired or is gone: params now, limit. Reads the partial index
 * `runs_lease_open`, which holds only unfinished runs with a lease.
 */
export const ABANDONED_RUNS_SQL = `SELECT r.account_id, r.run_id, r.workflow, r.workflow_version, r.parent_run_id, r.started_at,
    r.last_seq, r.lease_owner, l.holder, l.expires_at
  FROM runs r LEFT JOIN leases l ON l.owner_id = r.lease_owner
  WHERE r.lease_owner IS NOT NULL AND r.status IN ${OPEN_STATUSES} AND (l.owner_id IS NULL OR l.expires_at < ?)
  ORDER BY l.expires_at, r.started_at LIMIT ?`;

/** Expired leases no unfinished run names: params now. */
export const DROP_EXPIRED_LEASES_SQL = `DELETE FROM leases WHERE expires_at < ? AND NOT EXISTS (
    SELECT 1 FROM runs r WHERE r.lease_owner = leases.owner_id AND r.status IN ${OPEN_STATUSES})`;

/** `?` placeholders as `$1`, `$2`, … (none of these statements has a `?` elsewhere). */
export function toDollar(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A row of {@link ABANDONED_RUNS_SQL}. */
export interface AbandonedRow {
  account_id: string;
  run_id: string;
  workflow: string;
  workflow_version: string | null;
  parent_run_id: string | null;
  started_at: number | string;
  last_seq: number | string;
  lease_owner: string;
  holder: string | null;
  expires_at: number | string | null;
}

export function toAbandonedRun(row: AbandonedRow): AbandonedRun {
  return {
    accountId: row.account_id,
    runId: row.run_id,
    workflow: row.workflow_version === null ? { name: row.workflow } : { name: row.workflow, version: row.workflow_version },
    ...(row.parent_run_id === null ? {} : { parentRunId: row.parent_run_id }),
    startedAt: Number(row.started_at),
    lastSeq: Number(row.last_seq),
    leaseOwner: row.lease_owner,
    ...(row.holder === null ? {} : { holder: row.holder }),
    ...(row.expires_at === null ? {} : { expiredAt: Number(row.expires_at) }),
  };
}

/**
 * A run's row as a claim reads it (params account, run). PostgreSQL appends `FOR UPDATE`, so two
 * claimants of one run take turns, and the second reads the first's owner.
 */
export const CLAIM_READ_SQL = "SELECT status, last_seq, lease_owner FROM runs WHERE account_id = ? AND run_id = ?";

/** Ties the run to a lease: params owner, account, run (run in the claim's transaction, after its checks). */
export const CLAIM_RUN_SQL = "UPDATE runs SET lease_owner = ? WHERE account_id = ? AND run_id = ?";

/** Gives a claimed run back: params new owner (null: none), account, run, the claimant (only while it holds it). */
export const RELEASE_RUN_SQL = "UPDATE runs SET lease_owner = ? WHERE account_id = ? AND run_id = ? AND lease_owner = ?";

/** A row of {@link CLAIM_READ_SQL}. */
export interface ClaimRow {
  status: string;
  last_seq: number | string;
  lease_owner: string | null;
}

/**
 * Suspended top runs due to wake (their wait's deadline passed) that no live lease holds: params
 * now, now, limit. A sub-workflow run's wait is mirrored on each run above it (`wait.runId`), so
 * waking the top one wakes the tree. Reads the partial index `runs_wake`, which holds only suspended runs with a
 * deadline, so the sweep's cost does not grow with runs that wait without one.
 */
export const DUE_RUNS_SQL = `SELECT r.account_id, r.run_id, r.workflow, r.workflow_version, r.parent_run_id, r.last_seq, r.wake_at
  FROM runs r LEFT JOIN leases l ON l.owner_id = r.lease_owner
  WHERE r.status = 'suspended' AND r.wake_at IS NOT NULL AND r.wake_at <= ? AND r.parent_run_id IS NULL
    AND (r.lease_owner IS NULL OR l.owner_id IS NULL OR l.expires_at < ?)
  ORDER BY r.wake_at LIMIT ?`;

/** A row of {@link DUE_RUNS_SQL}. */
export interface DueRow {
  account_id: string;
  run_id: string;
  workflow: string;
  workflow_version: string | null;
  parent_run_id: string | null;
  last_seq: number | string;
  wake_at: number | string;
}

export function toDueRun(row: DueRow): DueRun {
  return {
    accountId: row.account_id,
    runId: row.run_id,
    workflow: row.workflow_version === null ? { name: row.workflow } : { name: row.workflow, version: row.workflow_version },
    ...(row.parent_run_id === null ? {} : { parentRunId: row.parent_run_id }),
    lastSeq: Number(row.last_seq),
    wakeAt: Number(row.wake_at),
  };
}
