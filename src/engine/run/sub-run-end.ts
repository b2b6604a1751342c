/**
 * Ends the sub-workflow runs a resumed run had not taken back when it stopped (cancelled, failed,
 * timed out before its steps re-entered them): as a live child is cancelled with its parent, each
 * gets `run.cancelled` after its stored last seq, its own sub-workflow runs first, so no trail of
 * the tree is left open.
 */
import type { EventBus } from "../../bus/index.js";
import type { EventInput } from "../../events/index.js";
import type { RunRestore } from "./run-restore.js";

/** Writes `run.cancelled` with `reason` to each of `runs` (and the runs below them), deepest first. */
export async function cancelRestoredRuns(bus: EventBus, runs: Iterable<RunRestore>, reason: string): Promise<void> {
  for (const run of runs) {
    await cancelRestoredRuns(bus, run.subRuns().values(), reason);
    if (bus.lastSeq(run.runId) > 0) continue;
    bus.resumeRun(run.runId, run.lastSeq);
    const body: Record<string, unknown> = { type: "run.cancelled", runId: run.runId, accountId: run.accountId, workflow: run.workflow, reason, durationMs: Math.max(0, Date.now() - run.startedTs) };
    if (run.parentRunId !== undefined) body.parentRunId = run.parentRunId;
    if (run.parentStep !== undefined) {
      body.parentStepId = run.parentStep.stepId;
      body.parentAttempt = run.parentStep.attempt;
      if (run.parentStep.path !== undefined) body.parentPath = run.parentStep.path;
    }
    if (run.traceId !== undefined) body.traceId = run.traceId;
    const wait = bus.emit(body as unknown as EventInput);
    if (wait !== undefined) await wait;
  }
}
