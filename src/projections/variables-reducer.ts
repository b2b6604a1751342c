/**
 * The run's variables (its datamodel) as a pure reducer over `variable.changed` events: the
 * snapshot seed 001 reads with GetVariableSnapshot, available for any stored run too.
 */
import type { RuntrailEvent } from "../events/index.js";

/**
 * Variable values by name.
 * @example
 * const vars: VariablesState = projectVariables(events); vars.status
 */
export type VariablesState = Readonly<Record<string, unknown>>;

const EMPTY: VariablesState = Object.freeze({});

/**
 * The variables after `event`; the same object when the event is not a variable change.
 *
 * @example
 * const vars = events.reduce(reduceVariables, undefined) ?? {};
 */
export function reduceVariables(state: VariablesState | undefined, event: RuntrailEvent): VariablesState {
  const s = state ?? EMPTY;
  if (event.type !== "variable.changed") return s;
  return { ...s, [event.variable.name]: event.variable.new };
}

/**
 * Every variable's last value in a run's events.
 *
 * @example
 * projectVariables(events) // { status: "done", attempts: 3 }
 */
export function projectVariables(events: Iterable<RuntrailEvent>): VariablesState {
  const values: Record<string, unknown> = {};
  for (const event of events) if (event.type === "variable.changed") values[event.variable.name] = event.variable.new;
  return values;
}
