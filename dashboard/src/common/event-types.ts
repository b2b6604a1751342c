/**
 * The built-in event types (the core's `BUILTIN_EVENT_TYPES`; a test checks they agree), so a
 * type glob typed in the log's filter (`step.*`) becomes the exact types the API filters by.
 * The core's list is not imported: it would bring the event schemas into the page.
 */
export const EVENT_TYPES = [
  "run.started", "run.completed", "run.failed", "run.cancelled", "run.suspended", "run.resumed",
  "signal.received", "signal.timeout",
  "step.started", "step.running", "step.completed", "step.failed", "step.skipped", "step.retrying",
  "wave.started", "wave.completed",
  "condition.evaluated",
  "loop.started", "loop.iteration", "loop.completed",
  "variable.changed",
  "progress.updated",
  "tool.called", "tool.completed", "tool.failed",
  "llm.requested", "llm.responded", "llm.failed",
] as const;

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
