/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceId`/`spanId` an event
 * carries, and the `traceparent` header a run can be started with. Written by hand, not taken from
 * `@opentelemetry/core`: the core must load without OpenTelemetry, and the format is four fields.
 */

/** A trace and a span in it, as the envelope's `traceId` and `spanId` carry them. */
export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  readonly spanId: string;
  /** Whether the caller sampled its span (the `01` bit of the header's flags). */
  readonly sampled: boolean;
}

/** A W3C trace id: 32 lowercase hex digits. */
export const TRACE_ID_PATTERN = "^[0-9a-f]{32}$";
/** A W3C span id (`parent-id`): 16 lowercase hex digits. */
export const SPAN_ID_PATTERN = "^[0-9a-f]{16}$";

const TRACE_ID = new RegExp(TRACE_ID_PATTERN);
const SPAN_ID = new RegExp(SPAN_ID_PATTERN);
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);
// version-traceid-parentid-flags; a later version may append fields after a dash.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Whether `value` is a valid W3C trace id (32 lowercase hex, not all zero). */
export function isTraceId(value: string): boolean {
  return TRACE_ID.test(value) && value !== ZERO_TRACE;
}

/** Whether `value` is a valid W3C span id (16 lowercase hex, not all zero). */
export function isSpanId(value: string): boolean {
  return SPAN_ID.test(value) && value !== ZERO_SPAN;
}

/**
 * Reads a W3C `traceparent` header, as the specification says a receiver must: lowercase hex
 * only, version `ff` and all-zero ids invalid, a version-00 header exactly four fields, a later
 * version's extra fields ignored. Surrounding spaces and tabs are allowed (HTTP header values).
 *
 * @returns the trace context, or `undefined` when the header is not a valid one.
 * @example
 * parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
 * // { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", sampled: true }
 * parseTraceparent("00-0AF7…") // undefined
 */
export function parseTraceparent(header: string): TraceContext | undefined {
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/**
 * A `traceparent` header (version 00) for a trace context.
 *
 * @example
 * formatTraceparent({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" })
 * // "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
 */
export function formatTraceparent(context: { readonly traceId: string; readonly spanId: string; readonly sampled?: boolean }): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled === false ? "00" : "01"}`;
}

/** A `traceparent` (or trace id, span id) that is not a W3C trace context. */
export class TraceparentError extends Error {
  override readonly name = "TraceparentError";
  constructor(
    /** The value refused. */
    readonly traceparent: string,
    message = `traceparent ${quote(traceparent)} is not a W3C trace context ("00-<32 hex>-<16 hex>-<2 hex>", lowercase, ids not all zero)`,
  ) {
    super(message);
  }
}

/** A refused value in a message: quoted, and cut short (a header can be long). */
function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
