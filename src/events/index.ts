/** The event model: one discriminated union of every event type, its JSON Schema and validator. */
export {
  BUILTIN_EVENT_TYPES,
  RuntrailEventSchema,
  TERMINAL_RUN_EVENTS,
  isTerminalRunEvent,
  builtinEventSchemas,
  type BuiltinEventType,
  type EventInput,
  type EventOf,
  type EventType,
  type RuntrailEvent,
} from "./catalog.js";
export { DEFAULT_ACCOUNT, Envelope, EnvelopeProperties, eventId, type EventId } from "./envelope.js";
export { ErrorInfo, Metrics, WorkflowRef, type Decision } from "./fields.js";
export type { ConditionKind } from "./families/condition.js";
export { Progress } from "./families/progress.js";
export { GraphStep, RunGraph, StepKind } from "./families/run-graph.js";
export { CustomEvent } from "./families/custom.js";
export type { TokenUsage } from "./families/llm.js";
export {
  formatTraceparent,
  isSpanId,
  isTraceId,
  parseTraceparent,
  SPAN_ID_PATTERN,
  TRACE_ID_PATTERN,
  TraceparentError,
  type TraceContext,
} from "./trace-context.js";
export { eventJsonSchema } from "./json-schema.js";
export { DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT, toJsonSafe, type JsonFault, type JsonSafe, type JsonSafeOptions, type UnserializableKind, type UnserializableMarker } from "./json-safe.js";
export { checkPayload, payloadSchemaJson, PayloadSchemaError } from "./payload-schema.js";
export { EventValidationError, parseEvent, validateEvent, type ValidationIssue } from "./validate.js";
export * from "./mappings/index.js";
