/**
 * Type globs for the log's filter. The built-in types are the core's own list
 * (`BUILTIN_EVENT_TYPES` of the events piece), so a glob typed in the filter (`step.*`) becomes
 * exactly the types the API filters by, and a new type is in the dashboard the day it is in the union.
 */
import { BUILTIN_EVENT_TYPES } from "../../../src/events/index.js";

export const EVENT_TYPES = BUILTIN_EVENT_TYPES;

const escape = (text: string): string => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");

/** A matcher of comma-separated exact types and globs (`*` = any run of characters). */
export function typeMatcher(patterns: readonly string[]): (type: string) => boolean {
  if (patterns.length === 0) return () => true;
  const re = new RegExp(`^(?:${patterns.map((p) => escape(p).replaceAll("*", ".*")).join("|")})$`);
  return (type) => re.test(type);
}

/**
 * The exact built-in types the patterns match, or undefined when one may match a custom `x.*`
 * type (which the API's exact filter cannot name): the log then filters on its side.
 *
 * @example
 * expandTypes(["step.*"]) // ["step.started", …, "step.retrying"]
 */
export function expandTypes(patterns: readonly string[]): string[] | undefined {
  if (patterns.some((p) => p.startsWith("x.") || p === "*" || p.startsWith("x*"))) return undefined;
  const match = typeMatcher(patterns);
  return EVENT_TYPES.filter(match);
}

export function parseTypes(text: string | null): string[] {
  return (text ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
}
