/**
 * The run view's opening read: `GET /api/runs/:id/overview`, its column table of steps turned back
 * into the store's step rows (the server's `toStepTable` in reverse), so the rest of the view
 * works on rows as before while the wire carries a sixth of their JSON.
 */
import { api } from "./api-client.js";
import type { RunOverview, RunOverviewBody, Step, StepStatus, StepTable } from "./api-types.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The rows of `table` (for run `runId`), in the table's order.
 *
 * @example
 * const steps = fromStepTable(body.steps, body.run.runId);
 */
export function fromStepTable(table: StepTable, runId: string): Step[] {
  const errors = new Map(table.errors.map((e) => [e.row, e.error]));
  const rows: Step[] = new Array<Step>(table.step.length);
  for (let i = 0; i < rows.length; i++) {
    const startedAt = table.startedAt[i];
    const endedAt = table.endedAt[i];
    const durationMs = table.durationMs[i];
    const error = errors.get(i);
    const row: Mutable<Step> = {
      runId,
      stepId: table.stepIds[table.step[i]!]!,
      path: table.path[i]!,
      status: table.statuses[table.status[i]!] as StepStatus,
      attempts: table.attempts[i]!,
      totalDurationMs: table.totalDurationMs[i]!,
      failures: table.failures[i]!,
    };
    if (startedAt !== null && startedAt !== undefined) row.startedAt = table.base + startedAt;
    if (endedAt !== null && endedAt !== undefined) row.endedAt = table.base + endedAt;
    if (durationMs !== null && durationMs !== undefined) row.durationMs = durationMs;
    if (error !== undefined) row.error = error;
    rows[i] = row;
  }
  return rows;
}

/**
 * Reads a run's overview (the run, its graph, its steps; with `tail`, its last two pages of that
 * many events) in one request.
 *
 * @example
 * const { run, steps, graph, tail } = await readRunOverview("run-1", 200);
 */
export async function readRunOverview(runId: string, tail?: number): Promise<RunOverview> {
  return decodeOverview(await api<RunOverviewBody>(`/runs/${encodeURIComponent(runId)}/overview`, { query: { tail } }));
}

/** An overview as sent, its step columns decoded into rows. */
export function decodeOverview(body: RunOverviewBody): RunOverview {
  return { run: body.run, steps: fromStepTable(body.steps, body.run.runId), ...(body.graph === undefined ? {} : { graph: body.graph }), ...(body.tail === undefined ? {} : { tail: body.tail }) };
}
