/**
 * Ending a run whose process died: a stored `run.failed` (error `RunAbandoned`) at the seq after
 * the last stored one, so the trail has its terminal event, every stream of it ends, and the runs
 * table says `failed`. Written with the store's own append (events and projections in one
 * transaction), like any batch.
 */
import { eventId, type RuntrailEvent } from "../../events/index.js";
import { prepareEvent } from "../store-payload.js";
import { projectBatch } from "../store-projection.js";
import type { AbandonedRun, EventStore } from "../store-types.js";
import { isRunFinished } from "../../projections/index.js";

/** The `error.name` of a run ended because its process died. */
export const RUN_ABANDONED = "RunAbandoned";

/**
 * The terminal event of an abandoned run: why (whose lease lapsed, and when) and the last seq the
 * store holds (anything the process emitted after it was lost with the process); with
 * `notResumed`, why crash recovery did not resume it (e.g. an idempotency-unsafe step was running).
 *
 * @example
 * const event = abandonedRunEvent(run, Date.now());
 * event.seq === run.lastSeq + 1; // true
 */
export function abandonedRunEvent(run: AbandonedRun, now: number, notResumed?: string): RuntrailEvent {
  const seq = run.lastSeq + 1;
  const who = run.holder === undefined ? `lease ${run.leaseOwner}` : `${run.holder}, lease ${run.leaseOwner}`;
  const when = run.expiredAt === undefined ? "released its lease without ending the run" : `stopped renewing its lease (expired ${new Date(run.expiredAt).toISOString()})`;
  return {
    type: "run.failed",
    id: eventId(run.runId, seq),
    runId: run.runId,
    accountId: run.accountId,
    workflow: run.workflow,
    seq,
    ts: now,
    ...(run.parentRunId === undefined ? {} : { parentRunId: run.parentRunId }),
    error: {
      name: RUN_ABANDONED,
      code: "lease_expired",
      message: `the process executing this run (${who}) ${when}; the last stored event is seq ${run.lastSeq}, anything it emitted after that was lost with it${notResumed === undefined ? "" : `; not resumed: ${notResumed}`}`,
      retryable: notResumed === undefined,
    },
    durationMs: Math.max(0, now - run.startedAt),
  };
}

/**
 * Stores the abandoned run's `run.failed`. Resolves true when this call ended it, false when
 * someone else did first (two processes sweeping the same store race for the seq; the store's
 * unique `(account, run, seq)` lets exactly one win).
 *
 * @example
 * for (const run of await store.abandonedRuns(100)) await closeAbandonedRun(store, run, Date.now());
 */
export async function closeAbandonedRun(store: EventStore, run: AbandonedRun, now: number, notResumed?: string): Promise<boolean> {
  const prepared = prepareEvent(abandonedRunEvent(run, now, notResumed));
  try {
    await store.append({ events: [prepared], ...projectBatch([prepared]) });
    return true;
  } catch (error) {
    const stored = await store.getRun(run.accountId, run.runId);
    if (stored === undefined || isRunFinished(stored.status) || stored.lastSeq > run.lastSeq) return false;
    throw error;
  }
}
