/**
 * Field shapes shared by several event families. Each is a TypeBox schema, so the JSON Schema
 * and the TypeScript type come from the same definition.
 */
import { Type, type Static } from "@sinclair/typebox";

/** Any JSON-serialisable value: step inputs and outputs, variable values, tool results. */
export const Json = Type.Unknown({ description: "any JSON-serialisable value" });

/** Which workflow (and version) a run belongs to. */
export const WorkflowRef = Type.Object(
  { name: Type.String({ minLength: 1 }), version: Type.Optional(Type.String()) },
  { description: "the workflow a run belongs to" },
);
export type WorkflowRef = Static<typeof WorkflowRef>;

/** An error as data: safe to serialise, store and send across the wire. */
export const ErrorInfo = Type.Object({
  name: Type.String(),
  message: Type.String(),
  stack: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  /** Whether retrying could help (a timeout, a network error), as judged by the producer. */
  retryable: Type.Optional(Type.Boolean()),
});
export type ErrorInfo = Static<typeof ErrorInfo>;

/** Numeric measurements a step reports about itself (seed 003's metrics). */
export const Metrics = Type.Record(Type.String(), Type.Number());
export type Metrics = Static<typeof Metrics>;

/** Non-fatal warnings a step reports about itself (seed 003's issues). */
export const Issues = Type.Array(Type.String());

/** Elapsed wall time in milliseconds. */
export const DurationMs = Type.Number({ minimum: 0 });

/** Who made a steering decision: the control handler's name and its reason. */
export const Decision = Type.Object({
  handler: Type.String(),
  reason: Type.Optional(Type.String()),
});
export type Decision = Static<typeof Decision>;
