/**
 * The trace a run belongs to, from its options: a `traceparent` header, or a trace id and span
 * id. Checked once, when the run is made, so every event it stamps carries valid W3C ids.
 */
import { isSpanId, isTraceId, parseTraceparent, TraceparentError } from "../../events/index.js";

/** What every event of a traced run carries. */
export interface RunTrace {
  readonly traceId: string;
  readonly spanId?: string;
}

/** The trace fields of the run options (a subset of `RunOptions`, so this file needs no import back). */
export interface TraceOptions {
  traceparent?: string;
  traceId?: string;
  spanId?: string;
}

const show = (value: string): string => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

/**
 * The run's trace, or `undefined` for an untraced run.
 * @throws TraceparentError for a malformed `traceparent`, trace id or span id, or for a
 *   `traceparent` given beside `traceId`/`spanId` (which one should win is not obvious).
 */
export function traceOf(options: TraceOptions): RunTrace | undefined {
  const { traceparent, traceId, spanId } = options;
  if (traceparent !== undefined) {
    if (traceId !== undefined || spanId !== undefined) {
      throw new TraceparentError(traceparent, "run options: give traceparent or traceId/spanId, not both");
    }
    const context = parseTraceparent(traceparent);
    if (context === undefined) throw new TraceparentError(traceparent);
    return { traceId: context.traceId, spanId: context.spanId };
  }
  if (traceId === undefined) {
    if (spanId !== undefined) throw new TraceparentError(spanId, `run options: spanId ${show(spanId)} needs a traceId`);
    return undefined;
  }
  if (!isTraceId(traceId)) throw new TraceparentError(traceId, `run options: traceId ${show(traceId)} is not a W3C trace id (32 lowercase hex digits, not all zero)`);
  if (spanId === undefined) return { traceId };
  if (!isSpanId(spanId)) throw new TraceparentError(spanId, `run options: spanId ${show(spanId)} is not a W3C span id (16 lowercase hex digits, not all zero)`);
  return { traceId, spanId };
}
