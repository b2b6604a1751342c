/**
 * A marker can stand in a free-form field (`input`, `output`, `data`), but not in a typed one: a
 * NaN in `metrics.ratio` or `durationMs` made into `{"$unserializable":"NaN",…}` would make the
 * stored event fail its schema, and every read of the run (which validates what it loads) would
 * fail with it. So an event that had faults is checked against its schema once, and each typed
 * value that does not conform is removed where the schema lets it be absent, or else replaced by
 * the schema's empty value (`0`, `""`); its fault says so. Only events with faults pay for this.
 */
import { Value } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import { builtinEventSchemas, CustomEvent, validateEvent, type JsonFault, type RuntrailEvent } from "../events/index.js";

const schemaByType = new Map<string, TSchema>(builtinEventSchemas.map((s) => [s.properties.type.const, s]));

/** `/metrics/ratio` → `["metrics", "ratio"]`. */
const segmentsOf = (pointer: string): string[] =>
  pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));

/** `["items", "2", "price"]` → `items[2].price`, the paths faults use. */
function dottedPath(segments: readonly string[], container: unknown): string {
  let path = "";
  let at = container;
  for (const segment of segments) {
    path = Array.isArray(at) ? `${path}[${segment}]` : path === "" ? segment : `${path}.${segment}`;
    at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[segment] : undefined;
  }
  return path;
}

/** Whether fault path `path` lies at or under `prefix`. */
const isUnder = (path: string, prefix: string): boolean => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);

/**
 * `event` (a JSON-safe copy) made to conform to its type's schema where faults broke it, and the
 * faults with a note on each value that could not be stored as a marker.
 *
 * @example
 * const { event, faults } = conformToSchema(safe, faults);
 */
export function conformToSchema(event: RuntrailEvent, faults: readonly JsonFault[]): { event: RuntrailEvent; faults: readonly JsonFault[] } {
  const schema = event.type.startsWith("x.") ? CustomEvent : schemaByType.get(event.type);
  if (schema === undefined || validateEvent(event).length === 0) return { event, faults };
  // Ours to change: a deep copy (the value is depth-bounded and acyclic by now).
  const copy = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
  const notes = new Map<string, string>();
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  const required = new Set((schema as { required?: string[] }).required ?? []);
  for (let round = 0; round < 100; round++) {
    const issue = validateEvent(copy)[0];
    if (issue === undefined) break;
    const segments = segmentsOf(issue.path);
    const top = segments[0];
    if (top === undefined || properties[top] === undefined) break; // an envelope problem: not ours to fix
    if (!removeFirstThatFixes(copy, segments, notes, issue.message)) {
      const path = dottedPath([top], copy);
      if (required.has(top)) {
        copy[top] = Value.Create(properties[top]);
        notes.set(path, `${issue.message}: stored as the schema's empty value ${JSON.stringify(copy[top])}`);
      } else {
        delete copy[top];
        notes.set(path, `${issue.message}: not stored`);
      }
    }
  }
  const noted = faults.map((fault) => {
    for (const [path, note] of notes) if (isUnder(fault.path, path)) return { ...fault, detail: fault.detail === undefined ? note : `${fault.detail}; ${note}` };
    return fault;
  });
  return { event: copy as unknown as RuntrailEvent, faults: noted };
}

/**
 * Removes the deepest value on the issue's path whose removal leaves its top-level field valid
 * (`metrics.ratio`, not all of `metrics`), if any.
 */
function removeFirstThatFixes(event: Record<string, unknown>, segments: readonly string[], notes: Map<string, string>, message: string): boolean {
  const top = segments[0]!;
  const schema = schemaByTypeOf(event);
  const fieldSchema = (schema as { properties?: Record<string, TSchema> } | undefined)?.properties?.[top];
  if (fieldSchema === undefined) return false;
  for (let depth = segments.length - 1; depth >= 1; depth--) {
    const parentPath = segments.slice(1, depth);
    let parent: unknown = event[top];
    for (const segment of parentPath) parent = (parent as Record<string, unknown> | undefined)?.[segment];
    if (typeof parent !== "object" || parent === null || Array.isArray(parent)) continue;
    const key = segments[depth]!;
    const record = parent as Record<string, unknown>;
    const kept = record[key];
    delete record[key];
    if (Value.Check(fieldSchema, event[top])) {
      notes.set(dottedPath(segments.slice(0, depth + 1), event), `${message}: not stored`);
      return true;
    }
    record[key] = kept;
  }
  return false;
}

function schemaByTypeOf(event: Record<string, unknown>): TSchema | undefined {
  const type = String(event.type);
  return type.startsWith("x.") ? CustomEvent : schemaByType.get(type);
}
