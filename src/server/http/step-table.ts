/**
 * A run's step rows as the columns of a {@link StepTable}: each id and status once, times in ms
 * after the run's start. A run of thousands of loop iterations sent its rows as objects that
 * repeated every key, the run id and the step id; as columns its steps are about a sixth of that.
 */
import type { StepRecord } from "../../store/index.js";
import type { StepTable } from "./api-responses.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer I)[] ? I[] : T[K] };

/**
 * Encodes `rows` (in their order) with times counted from `base`.
 *
 * @example
 * const table = toStepTable(await store.listSteps("acme", "run-1"), run.startedAt);
 */
export function toStepTable(rows: readonly StepRecord[], base: number): StepTable {
  const table: Mutable<StepTable> = {
    base, stepIds: [], statuses: [], step: [], path: [], status: [], attempts: [], failures: [],
    startedAt: [], endedAt: [], durationMs: [], totalDurationMs: [], errors: [],
  };
  const ids = new Map<string, number>();
  const statuses = new Map<string, number>();
  const indexOf = (map: Map<string, number>, list: string[], value: string): number => {
    let index = map.get(value);
    if (index === undefined) {
      index = list.push(value) - 1;
      map.set(value, index);
    }
    return index;
  };
  rows.forEach((row, i) => {
    table.step.push(indexOf(ids, table.stepIds, row.stepId));
    table.status.push(indexOf(statuses, table.statuses as string[], row.status));
    table.path.push(row.path);
    table.attempts.push(row.attempts);
    table.failures.push(row.failures);
    table.startedAt.push(row.startedAt === undefined ? null : row.startedAt - base);
    table.endedAt.push(row.endedAt === undefined ? null : row.endedAt - base);
    table.durationMs.push(row.durationMs ?? null);
    table.totalDurationMs.push(row.totalDurationMs);
    if (row.error !== undefined) table.errors.push({ row: i, error: row.error });
  });
  return table;
}
