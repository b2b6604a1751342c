/**
 * The envelope every event carries, whatever its type.
 */
import { Type, type Static, type TLiteral, type TObject, type TProperties } from "@sinclair/typebox";
import { WorkflowRef } from "./fields.js";
import { SPAN_ID_PATTERN, TRACE_ID_PATTERN } from "./trace-context.js";

/** A unique event id. Made only by {@link eventId}, so that it always derives from runId and seq. */
export type EventId = string & { readonly __brand: "EventId" };

/**
 * The id of the event with sequence number `seq` in run `runId`.
 *
 * Run ids are unique, so this is unique too, and any transport can deduplicate by it.
 *
 * @example
 * eventId("run-1", 3) // "run-1:3"
 */
export function eventId(runId: string, seq: number): EventId {
  return `${runId}:${seq}` as EventId;
}

/** The account (tenant) an event belongs to when the producer names none. */
export const DEFAULT_ACCOUNT = "default";

/** Fields every event has. */
export const EnvelopeProperties = {
  id: Type.Unsafe<EventId>(Type.String({ minLength: 1, description: "runId:seq" })),
  runId: Type.String({ minLength: 1 }),
  accountId: Type.String({ minLength: 1 }),
  workflow: WorkflowRef,
  seq: Type.Integer({ minimum: 1, description: "per run: 1, 2, 3, … with no gap" }),
  ts: Type.Number({ minimum: 0, description: "epoch milliseconds" }),
  // Where they apply:
  stepId: Type.Optional(Type.String({ minLength: 1 })),
  stepKey: Type.Optional(Type.String()),
  tag: Type.Optional(Type.String()),
  attempt: Type.Optional(Type.Integer({ minimum: 1 })),
  path: Type.Optional(
    Type.Array(Type.Integer({ minimum: 0 }), { description: "loop iteration indices, outermost first" }),
  ),
  parentRunId: Type.Optional(Type.String({ minLength: 1 })),
  // Which attempt of which step of the parent run started this sub-workflow run: its span's parent.
  parentStepId: Type.Optional(Type.String({ minLength: 1, description: "sub-workflow runs: the parent run's step that started this run" })),
  parentAttempt: Type.Optional(Type.Integer({ minimum: 1, description: "sub-workflow runs: that step's attempt" })),
  parentPath: Type.Optional(
    Type.Array(Type.Integer({ minimum: 0 }), { description: "sub-workflow runs: that step's loop iteration path in the parent run" }),
  ),
  traceId: Type.Optional(Type.String({ pattern: TRACE_ID_PATTERN, description: "W3C trace id of the trace the run belongs to" })),
  spanId: Type.Optional(
    Type.String({
      pattern: SPAN_ID_PATTERN,
      description: "W3C span id the run's events belong under: the run's own span when a tracer made it before the run started, else the span the run was started from",
    }),
  ),
} satisfies TProperties;

export const Envelope = Type.Object(EnvelopeProperties);
/** The fields every event has. */
export type Envelope = Static<typeof Envelope>;

/** Defines one event type: the envelope, the literal `type`, and the type's own fields. */
export function defineEvent<T extends string, P extends TProperties>(
  type: T,
  properties: P,
  description: string,
): TObject<{ type: TLiteral<T> } & typeof EnvelopeProperties & P> {
  // `type` first, so serialised events read naturally; the spread's inferred type needs the cast.
  const all = { type: Type.Literal(type), ...EnvelopeProperties, ...properties } as {
    type: TLiteral<T>;
  } & typeof EnvelopeProperties &
    P;
  return Type.Object(all, { $id: type, description });
}
