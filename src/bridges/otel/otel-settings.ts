/**
 * What the trail tracer is told at creation: shared by the tracer and the work spans it hands
 * events to, so neither imports the other for it.
 */
import type { Span, Tracer } from "@opentelemetry/api";

/** What the translation is told at creation. */
export interface TrailTracerSettings {
  readonly tracer: Tracer;
  readonly captureContent: boolean;
  readonly provider: (model: string) => string;
  /** Run spans made ahead of their run (see `runOptions`), by run id. */
  readonly pending: Map<string, Span>;
}
