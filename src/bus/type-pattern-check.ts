/**
 * Whether a type pattern from outside (a query string, a CLI flag) can select any event at all.
 * The bus's `compileTypePatterns` is the one parser of patterns; this says, before a filter is
 * used, that `steps.*` or `step.complete` selects nothing, so that a caller answers "bad pattern"
 * instead of an empty result that looks like "no such events".
 */
import { BUILTIN_EVENT_TYPES } from "../events/index.js";
import { compileTypePatterns } from "./filter.js";

/** Custom types a step emits start with this. */
const CUSTOM_PREFIX = "x.";

/** Whether `pattern` (with `*` wildcards) can match some custom type `x.<anything>`. */
function canMatchCustom(pattern: string): boolean {
  const star = pattern.indexOf("*");
  if (star === -1) return pattern.startsWith(CUSTOM_PREFIX) && pattern.length > CUSTOM_PREFIX.length;
  // What precedes the first `*` is literal: it must agree with "x." as far as both go; after
  // that, a star can absorb "x."'s rest and anything a custom type's name holds.
  const literal = pattern.slice(0, star);
  return literal.startsWith(CUSTOM_PREFIX) || CUSTOM_PREFIX.startsWith(literal);
}

/**
 * What is wrong with a type pattern, or `undefined` when it selects some event type: a built-in
 * type, a glob over them (`step.*`, `*.failed`, `*`), or custom types (`x.*`, `x.audit`).
 *
 * @example
 * typePatternProblem("step.*")   // undefined
 * typePatternProblem("steps.*")  // 'matches no event type (built-in types are run.*, signal.*, step.*, …; custom types start with "x.")'
 */
export function typePatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return "is empty";
  if (/[\s\u0000-\u001f]/.test(pattern)) return "contains whitespace or a control character";
  if (pattern === "*" || canMatchCustom(pattern)) return undefined;
  const matcher = compileTypePatterns([pattern]);
  if (matcher === undefined) return undefined;
  for (const type of BUILTIN_EVENT_TYPES) if (matcher({ type } as Parameters<typeof matcher>[0])) return undefined;
  const families = [...new Set(BUILTIN_EVENT_TYPES.map((type) => `${type.split(".")[0]!}.*`))].join(", ");
  return `matches no event type (built-in types are ${families}; custom types start with "x.")`;
}
