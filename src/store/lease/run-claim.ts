/**
 * Who may take over a run: the one rule both stores apply inside their claim transaction. A run
 * goes on in exactly one process, so resuming it (crash recovery, a signal, `resumeRun` given a
 * lease) first ties it to the resuming process's lease, and only when nobody else can be
 * executing it: it is suspended and no live lease holds it, or the lease that held it expired.
 */
import type { RunClaim } from "../store-types.js";
import type { ClaimRow } from "../store-lease-sql.js";

/** The expiry (epoch ms) of a lease row, or undefined when there is none. */
type Expiry = number | undefined;

/**
 * Decides a claim of `runId` by `ownerId` from what the transaction read: the run's row, the
 * expiry of the lease that holds it, the claimant's own lease's expiry, and the store's clock.
 *
 * @example
 * decideClaim("r1", "me", { status: "suspended", last_seq: 7, lease_owner: null }, undefined, now + 10_000, now)
 * // { claimed: true, status: "suspended", lastSeq: 7 }
 */
export function decideClaim(runId: string, ownerId: string, row: ClaimRow | undefined, heldUntil: Expiry, mine: Expiry, now: number): RunClaim {
  if (row === undefined) return refuse("unknown", `no run "${runId}" in this account`);
  const { status } = row;
  if (status !== "running" && status !== "suspended") return refuse("ended", `run "${runId}" has ended (${status})`);
  // A claimant whose own lease lapsed counts as dead itself: a run tied to it would be abandoned at once.
  if (mine === undefined || mine < now) return refuse("lease-lapsed", `the claiming lease ${ownerId} is not live (expired or never renewed), so it cannot take run "${runId}"`);
  const owner = row.lease_owner;
  if (owner === ownerId) return refuse("held", `run "${runId}" is already held by this lease (${ownerId}): it is executing in this process`);
  if (owner === null) {
    // Running with no lease: written by a process that holds none, which may well be alive.
    if (status === "running") return refuse("unleased", `run "${runId}" is running under no lease (its writer holds none), so whether its process is alive is unknown`);
    return granted(row);
  }
  if (heldUntil !== undefined && heldUntil >= now) {
    return refuse("held", `run "${runId}" is ${status === "suspended" ? "suspended and held" : "executing"} in another process (lease ${owner}, live until ${new Date(heldUntil).toISOString()})`);
  }
  return granted(row, owner);
}

function granted(row: ClaimRow, previousOwner?: string): RunClaim {
  return {
    claimed: true,
    status: row.status as "running" | "suspended",
    lastSeq: Number(row.last_seq),
    ...(previousOwner === undefined ? {} : { previousOwner }),
  };
}

function refuse(refusal: Exclude<RunClaim, { claimed: true }>["refusal"], message: string): RunClaim {
  return { claimed: false, refusal, message };
}
