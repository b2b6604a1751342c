/**
 * Event filters: which events a listener, observer or stream wants. A filter is compiled once
 * into a predicate, so matching an event is a few comparisons, never a re-reading of the filter.
 */
import type { EventOf, EventType, RuntrailEvent } from "../events/index.js";

/**
 * An event type or a glob over types: `"step.completed"`, `"step.*"`, `"x.*"`, `"*"`.
 * `*` matches any run of characters, dots included.
 */
export type TypePattern = EventType | `${string}*${string}` | "*";

/** The events a type pattern selects, so a filtered listener receives a narrowed type. */
export type Matching<P> = P extends "*"
  ? RuntrailEvent
  : P extends `${infer Family}.*`
    ? Extract<RuntrailEvent, { type: `${Family}.${string}` }>
    : P extends EventType
      ? EventOf<P>
      : RuntrailEvent;

type OneOrMany<T> = T | readonly T[];

/**
 * Which events to deliver. Every field given must match (AND); within a field, any value may
 * (OR). A field filter on an optional envelope field rejects events without it: a `stepId`
 * filter never matches `run.started`.
 *
 * @example
 * bus.onEvent(log, { type: ["step.*", "run.failed"], accountId: "acme" });
 */
export interface EventFilter<P extends TypePattern = TypePattern> {
  type?: OneOrMany<P>;
  runId?: OneOrMany<string>;
  accountId?: OneOrMany<string>;
  stepId?: OneOrMany<string>;
  /** The workflow's name. */
  workflow?: OneOrMany<string>;
  /** Any other test; runs last, only on events that passed the fields above. */
  where?: (event: RuntrailEvent) => boolean;
}

/** A compiled filter. `undefined` means "every event", which costs nothing to check. */
export type Matcher = ((event: RuntrailEvent) => boolean) | undefined;

const list = <T>(value: OneOrMany<T>): readonly T[] => (Array.isArray(value) ? value : [value as T]);

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

/** Compiles type patterns into one predicate on `event.type`. */
export function compileTypePatterns(patterns: readonly string[]): Matcher {
  if (patterns.includes("*")) return undefined;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const globs: RegExp[] = [];
  for (const pattern of patterns) {
    const star = pattern.indexOf("*");
    if (star === -1) exact.add(pattern);
    else if (star === pattern.length - 1) prefixes.push(pattern.slice(0, -1));
    else globs.push(new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`));
  }
  if (prefixes.length === 0 && globs.length === 0) {
    if (exact.size === 1) {
      const only = [...exact][0];
      return (event) => event.type === only;
    }
    return (event) => exact.has(event.type);
  }
  return (event) => {
    const type = event.type;
    if (exact.has(type)) return true;
    for (const prefix of prefixes) if (type.startsWith(prefix)) return true;
    for (const glob of globs) if (glob.test(type)) return true;
    return false;
  };
}

/** The envelope fields a filter can name, and how to read each. */
type FilterField = "runId" | "accountId" | "stepId" | "workflow";

/** One closure per field and arity: a matcher is on every listener's path, so no indirection. */
function fieldMatcher(field: FilterField, values: readonly string[]): (event: RuntrailEvent) => boolean {
  if (values.length === 1) {
    const only = values[0];
    switch (field) {
      case "runId":
        return (event) => event.runId === only;
      case "accountId":
        return (event) => event.accountId === only;
      case "stepId":
        return (event) => event.stepId === only;
      case "workflow":
        return (event) => event.workflow.name === only;
    }
  }
  const set = new Set(values);
  switch (field) {
    case "runId":
      return (event) => set.has(event.runId);
    case "accountId":
      return (event) => set.has(event.accountId);
    case "stepId":
      return (event) => event.stepId !== undefined && set.has(event.stepId);
    case "workflow":
      return (event) => set.has(event.workflow.name);
  }
}

/**
 * Compiles a filter into a predicate, or `undefined` when it matches everything.
 *
 * @example
 * const failedSteps = compileFilter({ type: "step.failed" });
 * failedSteps?.(event)
 */
export function compileFilter(filter: EventFilter | undefined): Matcher {
  if (filter === undefined) return undefined;
  const tests: ((event: RuntrailEvent) => boolean)[] = [];
  if (filter.type !== undefined) {
    const typeTest = compileTypePatterns(list<string>(filter.type));
    if (typeTest) tests.push(typeTest);
  }
  if (filter.runId !== undefined) tests.push(fieldMatcher("runId", list(filter.runId)));
  if (filter.accountId !== undefined) tests.push(fieldMatcher("accountId", list(filter.accountId)));
  if (filter.stepId !== undefined) tests.push(fieldMatcher("stepId", list(filter.stepId)));
  if (filter.workflow !== undefined) tests.push(fieldMatcher("workflow", list(filter.workflow)));
  if (filter.where !== undefined) tests.push(filter.where);
  if (tests.length === 0) return undefined;
  if (tests.length === 1) return tests[0];
  if (tests.length === 2) {
    const [a, b] = tests as [(e: RuntrailEvent) => boolean, (e: RuntrailEvent) => boolean];
    return (event) => a(event) && b(event);
  }
  return (event) => {
    for (const test of tests) if (!test(event)) return false;
    return true;
  };
}
