/**
 * Validation of events that enter the process from outside (the wire, the store).
 * Events made by this process's bus are trusted and never pay for it.
 */
import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { builtinEventSchemas, type RuntrailEvent } from "./catalog.js";
import { eventId } from "./envelope.js";
import { CustomEvent } from "./families/custom.js";

/** One thing wrong with an event: where (a JSON pointer such as `/error/message`) and what. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** Thrown by {@link parseEvent}: names the first field at fault; `issues` lists all. */
export class EventValidationError extends Error {
  override readonly name = "EventValidationError";
  constructor(
    readonly issues: readonly ValidationIssue[],
    readonly source?: string,
  ) {
    const first = issues[0];
    const where = source ? ` (from ${source})` : "";
    super(`invalid event${where}: ${first ? `${first.path || "/"}: ${first.message}` : "unknown reason"}`);
  }
  /** The JSON pointer of the first field at fault. */
  get field(): string {
    return this.issues[0]?.path ?? "";
  }
}

const schemaByType = new Map<string, TSchema>(
  builtinEventSchemas.map((schema) => [schema.properties.type.const, schema]),
);
// Compiled on first use of each type, so importing the core costs nothing.
const checks = new Map<TSchema, TypeCheck<TSchema>>();
function checkerFor(schema: TSchema): TypeCheck<TSchema> {
  let check = checks.get(schema);
  if (check === undefined) {
    check = TypeCompiler.Compile(schema);
    checks.set(schema, check);
  }
  return check;
}

/**
 * Every problem with `value` as an event; empty when it is valid.
 *
 * @example
 * validateEvent({ type: "step.started" }) // [{ path: "/id", message: "Expected required property" }, …]
 */
export function validateEvent(value: unknown): ValidationIssue[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ path: "", message: "an event must be a JSON object" }];
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string") return [{ path: "/type", message: "must be a string naming the event type" }];
  const schema = type.startsWith("x.") ? CustomEvent : schemaByType.get(type);
  if (schema === undefined) {
    return [{ path: "/type", message: `unknown event type "${type}" (custom types start with "x.")` }];
  }
  const check = checkerFor(schema);
  if (!check.Check(value)) {
    return [...check.Errors(value)].map((error) => ({ path: error.path, message: error.message }));
  }
  const { id, runId, seq } = value as { id: string; runId: string; seq: number };
  if (id !== eventId(runId, seq)) {
    return [{ path: "/id", message: `must be "${eventId(runId, seq)}" (runId:seq), got "${id}"` }];
  }
  return [];
}

/**
 * `value` as a typed event, or an {@link EventValidationError} naming the field at fault.
 * `source` (a file, a URL, a subject) is added to the message.
 *
 * @example
 * const event = parseEvent(JSON.parse(line), "events.ndjson:12");
 */
export function parseEvent(value: unknown, source?: string): RuntrailEvent {
  const issues = validateEvent(value);
  if (issues.length > 0) throw new EventValidationError(issues, source);
  return value as RuntrailEvent;
}
