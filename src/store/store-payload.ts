/**
 * What happens to an event on its way into the store, the one place where an event becomes JSON:
 * first it is made JSON-safe (`toJsonSafe`: a BigInt, a circle, a throwing `toJSON`, a Map, NaN
 * or nesting past `maxDepth` becomes a marker saying what and where, and is reported), then a
 * redaction hook, then a size limit per field. One bad value must never stop the writer, and huge
 * payloads are what break event-log servers: no field is stored beyond the limit, and what was cut
 * is recorded (JSON pointer, original size, sha256) so it can be verified later.
 */
import { createHash } from "node:crypto";
import { Kind, type TSchema } from "@sinclair/typebox";
import { builtinEventSchemas, DEFAULT_MAX_DEPTH, toJsonSafe, type JsonFault, type RuntrailEvent } from "../events/index.js";
import { conformToSchema } from "./store-conform.js";
import { EnvelopeProperties } from "../events/index.js";
import { CustomEvent } from "../events/index.js";
import type { PreparedEvent, TruncatedField } from "./store-types.js";

/** What replaces a free-form JSON value (an `input`, `output`, `data`, …) that exceeded the limit. */
export interface TruncatedValue {
  readonly $truncated: true;
  readonly size: number;
  readonly sha256: string;
  /** The start of the original JSON text. */
  readonly preview: string;
}

/**
 * Rewrites an event before it is stored; must not mutate its argument (other consumers share it).
 * It is given the JSON-safe event (no cycle, nesting at most `maxDepth`) and must return JSON data.
 */
export type Redactor = (event: RuntrailEvent) => RuntrailEvent;

/** The value that replaces a redacted one. */
export const REDACTED = "[REDACTED]";

/** Key names redacted by default (case-insensitive; `accessToken`, `client_secret` match too). */
export const DEFAULT_REDACTED_KEYS = ["password", "token", "secret", "authorization"] as const;

/** The per-field limit when none is given: 64 KiB. */
export const DEFAULT_MAX_FIELD_BYTES = 64 * 1024;

const PREVIEW_CHARS = 256;

/**
 * A redactor that replaces, at any depth, the value of every key that equals or ends with one of
 * `keys` (case-insensitive) with `"[REDACTED]"`. Copy-on-write: the original event is untouched.
 *
 * @example
 * const redact = redactKeys(["password", "apiKey"]);
 * redact(event).input // { user: "ada", password: "[REDACTED]" }
 */
export function redactKeys(keys: readonly string[] = DEFAULT_REDACTED_KEYS): Redactor {
  if (keys.length === 0) return (event) => event;
  const escaped = keys.map((key) => key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?:${escaped.join("|")})$`, "i");
  return (event) => redactValue(event, pattern) as RuntrailEvent;
}

function redactValue(value: unknown, pattern: RegExp): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = redactValue(item, pattern);
      if (next !== item) (copy ??= value.slice())[i] = next;
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in record) {
    const item = record[key];
    const next = pattern.test(key) ? (item === undefined ? item : REDACTED) : redactValue(item, pattern);
    if (next !== item) (copy ??= { ...record })[key] = next;
  }
  return copy ?? value;
}

/** Options of {@link prepareEvent}. */
export interface PayloadOptions {
  /** Most bytes of JSON per field (members of structured fields are limited one by one). Default 64 KiB. */
  maxFieldBytes?: number;
  /** Applied before the limit. Default {@link redactKeys}() with {@link DEFAULT_REDACTED_KEYS}; `false` for none. */
  redact?: Redactor | false;
  /**
   * Deepest nesting stored, counted from the event (`output` is level 1); what lies deeper is
   * stored as a `TooDeep` marker. Default 64, at most 1,000.
   */
  maxDepth?: number;
}

const defaultRedactor = redactKeys();
const envelopeKeys = new Set<string>(["type", ...Object.keys(EnvelopeProperties)]);
const schemaByType = new Map<string, TSchema>(builtinEventSchemas.map((s) => [s.properties.type.const, s]));

/**
 * Makes an event JSON-safe, redacts and size-limits it, and serialises it for storage. Never
 * throws on a payload: what JSON cannot hold as it is becomes a marker, listed in `faults`.
 *
 * @example
 * const row = prepareEvent(event, { maxFieldBytes: 1024 });
 * row.truncated // '[{"path":"/output","size":40960,"sha256":"…"}]' or null
 * row.faults    // [{ kind: "BigInt", path: "output.total", detail: "10" }] or undefined
 */
export function prepareEvent(event: RuntrailEvent, options: PayloadOptions = {}): PreparedEvent {
  const limit = options.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  const redact = options.redact === undefined ? defaultRedactor : options.redact;
  const safe = toJsonSafe(event, { maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH });
  let faults: { faults: readonly JsonFault[] } | undefined;
  let value = safe.value;
  if (safe.faults.length > 0) {
    // A marker where the schema wants a number would make the stored event unreadable.
    const conformed = conformToSchema(value, safe.faults);
    value = conformed.event;
    faults = { faults: conformed.faults };
  }
  let redacted = redact === false ? value : redact(value);
  let body = JSON.stringify(redacted);
  if (body.includes("\\u0000")) ({ event: redacted, body } = withoutNul(body));
  // A field is part of the whole, so a whole under the limit needs no per-field look.
  if (body.length * 3 <= limit || Buffer.byteLength(body) <= limit) {
    return { event: redacted, body, truncated: null, ...faults };
  }
  const records: TruncatedField[] = [];
  const schema = redacted.type.startsWith("x.") ? CustomEvent : schemaByType.get(redacted.type);
  const properties = (schema as { properties?: Record<string, TSchema> } | undefined)?.properties ?? {};
  const source = redacted as unknown as Record<string, unknown>;
  const limited: Record<string, unknown> = {};
  for (const key in source) {
    const value = source[key];
    limited[key] = envelopeKeys.has(key) ? value : shrink(value, properties[key], limit, `/${key}`, records);
  }
  const stored = limited as unknown as RuntrailEvent;
  if (records.length === 0) return { event: stored, body, truncated: null, ...faults };
  return { event: stored, body: JSON.stringify(stored), truncated: JSON.stringify(records), ...faults };
}

/** A `\u0000` escape in JSON text that is not itself an escaped backslash followed by "u0000". */
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * Replaces U+0000 in every string with U+FFFD, in every store alike: PostgreSQL's jsonb cannot
 * hold U+0000, and a batch the database refuses would block the writer behind it for good.
 */
function withoutNul(body: string): { event: RuntrailEvent; body: string } {
  const cleaned = body.replace(NUL_ESCAPE, "$1\\ufffd");
  return { event: JSON.parse(cleaned) as RuntrailEvent, body: cleaned };
}

/** Shrinks `value` to `limit` bytes of JSON the way its schema allows, so it still validates. */
function shrink(value: unknown, schema: TSchema | undefined, limit: number, path: string, records: TruncatedField[]): unknown {
  if (value === undefined) return value;
  const json = JSON.stringify(value);
  const size = Buffer.byteLength(json);
  if (size <= limit) return value;
  const kind = schema?.[Kind] as string | undefined;
  if (kind === "Object" && typeof value === "object" && value !== null && !Array.isArray(value)) {
    const properties = (schema as unknown as { properties: Record<string, TSchema> }).properties;
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key in record) out[key] = shrink(record[key], properties[key], limit, `${path}/${key}`, records);
    return out;
  }
  records.push({ path, size, sha256: createHash("sha256").update(json).digest("hex") });
  if (kind === "String" && typeof value === "string") return truncateUtf8(value, limit);
  if (kind === "Array" && Array.isArray(value)) {
    const kept: unknown[] = [];
    let used = 2;
    for (const item of value) {
      used += Buffer.byteLength(JSON.stringify(item)) + 1;
      if (used > limit) break;
      kept.push(item);
    }
    return kept;
  }
  const marker: TruncatedValue = { $truncated: true, size, sha256: records.at(-1)!.sha256, preview: json.slice(0, PREVIEW_CHARS) };
  return marker;
}

function truncateUtf8(value: string, maxBytes: number): string {
  const cut = Buffer.from(value, "utf8").subarray(0, maxBytes).toString("utf8");
  // A cut inside a multi-byte character decodes to U+FFFD; drop it rather than store a false char.
  return cut.endsWith("\uFFFD") ? cut.slice(0, -1) : cut;
}

/** Whether a stored value is the marker of a truncated free-form field. */
export function isTruncatedValue(value: unknown): value is TruncatedValue {
  return typeof value === "object" && value !== null && (value as { $truncated?: unknown }).$truncated === true;
}
