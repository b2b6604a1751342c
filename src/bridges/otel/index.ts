/**
 * @module runtrail/otel
 * OpenTelemetry traces of the trail: `createOtelExporter({ bus, tracerProvider })`. Runs become
 * traces, steps spans (each attempt a child span), waves, loops and iterations spans, tool and
 * LLM calls GenAI spans. Needs the optional peer dependencies `@opentelemetry/api` (^1.9) and
 * `@opentelemetry/core` (2.x), and any 2.x SDK (`@opentelemetry/sdk-trace-base` or `-node`).
 */
export {
  createOtelExporter,
  INSTRUMENTATION_NAME,
  type OtelExporter,
  type OtelExporterFailure,
  type OtelExporterOptions,
  type OtelExporterStats,
} from "./otel-exporter.js";
export { TraceparentError, type IncomingTraceContext, type TracedRunOptions } from "./otel-trace-context.js";
export { providerOfModel } from "./otel-genai.js";
