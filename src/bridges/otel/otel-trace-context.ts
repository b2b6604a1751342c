/**
 * Trace context in: a run started for an incoming W3C `traceparent` joins that trace. The run's
 * span is made before the run starts, so its trace id and span id can be stamped on every event
 * of the run.
 */
import { ROOT_CONTEXT, trace, type Span, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { TraceparentError } from "../../events/index.js";

export { TraceparentError } from "../../events/index.js";

/** What `runOptions` is given: the caller's trace context, as HTTP headers carry it. */
export interface IncomingTraceContext {
  /** A W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`); none: the run starts a trace. */
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
  /** Default: a random UUID (as the engine would pick). */
  readonly runId?: string | undefined;
}

/**
 * Options to pass to `wf.run(input, { ...these, bus })`: the run id, and the trace and span its
 * events carry: the run's own span, made already, so a trail leads straight to it.
 */
export interface TracedRunOptions {
  readonly runId: string;
  readonly traceId: string;
  readonly spanId: string;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};

/** Pending run spans older than this are forgotten (never ended, so never exported). */
const PENDING_LIMIT = 10_000;

/**
 * Starts the span of a run that has not started yet, under the incoming context, and remembers
 * it for the run's `run.started`.
 */
export function preStartRun(tracer: Tracer, pending: Map<string, Span>, incoming: IncomingTraceContext): TracedRunOptions {
  let context = ROOT_CONTEXT;
  if (incoming.traceparent !== undefined) {
    const carrier: Record<string, string> = { traceparent: incoming.traceparent.trim() };
    if (incoming.tracestate !== undefined) carrier.tracestate = incoming.tracestate;
    context = propagator.extract(ROOT_CONTEXT, carrier, headerGetter);
    if (trace.getSpanContext(context) === undefined) throw new TraceparentError(incoming.traceparent);
  }
  const runId = incoming.runId ?? globalThis.crypto.randomUUID();
  const span = tracer.startSpan("run", {}, context);
  if (pending.size >= PENDING_LIMIT) pending.delete(pending.keys().next().value!);
  pending.set(runId, span);
  const { traceId, spanId } = span.spanContext();
  return { runId, traceId, spanId };
}
