/**
 * A run's step columns as the overview sends them ({@link StepTable}): the store's columns with
 * the times counted from `base` (the run's start), so each is a few digits rather than thirteen.
 * A run of thousands of loop iterations sent its rows as objects that repeated every key, the run
 * id and the step id; as columns its steps are about a sixth of that.
 */
import type { StepColumns } from "../../store/index.js";
import type { StepTable } from "./api-responses.js";

const after = (base: number) => (ts: number | null): number | null => (ts === null ? null : ts - base);

/**
 * The table of `columns` with times counted from `base`.
 *
 * @example
 * const table = toStepTable(await store.listStepColumns("acme", "run-1"), run.startedAt);
 */
export function toStepTable(columns: StepColumns, base: number): StepTable {
  return { ...columns, base, startedAt: columns.startedAt.map(after(base)), endedAt: columns.endedAt.map(after(base)) };
}
