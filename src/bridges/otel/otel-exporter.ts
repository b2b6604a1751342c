/**
 * `createOtelExporter`: a bus consumer that turns every run into a trace. It reads the bus through
 * a `drop-oldest` stream subscription, so it never slows a run: if it falls behind, events are
 * dropped (counted, reported, and marked on the run's span), never waited for.
 */
import { trace, type Span, type Tracer, type TracerProvider } from "@opentelemetry/api";
import type { EventBus, EventFilter, StreamGap } from "../../bus/index.js";
import type { RuntrailEvent } from "../../events/index.js";
import { providerOfModel } from "./otel-genai.js";
import { preStartRun, type IncomingTraceContext, type TracedRunOptions } from "./otel-trace-context.js";
import { TrailTracer } from "./otel-trail-tracer.js";

/** Something the exporter could not turn into spans: events it dropped, or an event it failed on. */
export type OtelExporterFailure =
  | { readonly kind: "dropped"; readonly gap: StreamGap; readonly error: Error }
  | { readonly kind: "threw"; readonly event: RuntrailEvent; readonly error: unknown };

/** Options of {@link createOtelExporter}. */
export interface OtelExporterOptions {
  readonly bus: EventBus;
  /** Default: the global provider (`trace.getTracerProvider()`). */
  readonly tracerProvider?: TracerProvider;
  /** Record inputs, outputs, prompts, responses and tool arguments as attributes. Default `false`. */
  readonly captureContent?: boolean;
  /** `gen_ai.provider.name` of a model. Default: the prefix of `"openai/gpt-4o"`, else `"_OTHER"`. */
  readonly genAiProvider?: (model: string) => string;
  /** Only these events (e.g. one account's). Default: all. */
  readonly filter?: EventFilter;
  /** Events held while the exporter catches up; past it the oldest are dropped. Default 10,000. */
  readonly bufferSize?: number;
  /** Told of events it dropped and of events it failed on. Default: `console.warn`. */
  readonly onError?: (failure: OtelExporterFailure) => void;
}

/** What the exporter did. */
export interface OtelExporterStats {
  readonly events: number;
  readonly dropped: number;
  readonly failures: number;
  readonly openRuns: number;
}

/** The handle of an attached exporter. */
export interface OtelExporter {
  /**
   * A run id and trace id for a run about to start, so it joins the caller's trace
   * (`traceparent`) or starts one whose id its events carry: `wf.run(input, { bus, ...these })`.
   * Throws `TraceparentError` for a malformed `traceparent`.
   */
  runOptions(incoming?: IncomingTraceContext): TracedRunOptions;
  /** Resolves once every event emitted so far has become spans (ended spans go to the SDK). */
  flush(): Promise<void>;
  stats(): OtelExporterStats;
  /** Detaches from the bus after the events it holds; spans still open end, marked `runtrail.incomplete`. */
  close(): Promise<void>;
}

/** The instrumentation scope's name, as backends show it. */
export const INSTRUMENTATION_NAME = "runtrail";

/**
 * Attaches an OpenTelemetry exporter to a bus: runs become traces, steps spans (each attempt a
 * child), waves, loops and iterations spans, tool and LLM calls GenAI spans.
 *
 * @example
 * const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
 * const exporter = createOtelExporter({ bus, tracerProvider: provider });
 * await wf.run(input, { bus, ...exporter.runOptions({ traceparent: request.headers.traceparent }) });
 * await exporter.close();
 */
export function createOtelExporter(options: OtelExporterOptions): OtelExporter {
  const tracer: Tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME);
  const pending = new Map<string, Span>();
  const translation = new TrailTracer({
    tracer,
    captureContent: options.captureContent ?? false,
    provider: options.genAiProvider ?? providerOfModel,
    pending,
  });
  const onError = options.onError ?? ((failure: OtelExporterFailure) => console.warn(`[runtrail] otel exporter ${failure.kind}:`, failure.error));
  const subscription = options.bus.subscribe(options.filter, { overflow: "drop-oldest", bufferSize: options.bufferSize ?? 10_000 });
  const counts = { events: 0, dropped: 0, failures: 0 };
  let idle: (() => void)[] = [];

  const report = (failure: OtelExporterFailure): void => {
    try {
      onError(failure);
    } catch {
      // A throwing error hook must not end the exporter's loop.
    }
  };
  const gap = (item: StreamGap): void => {
    counts.dropped += item.dropped;
    const run = translation.runs.get(item.runId)?.run;
    run?.setAttribute("runtrail.gap", true);
    run?.addEvent("runtrail.gap", { "runtrail.gap.from_seq": item.fromSeq, "runtrail.gap.to_seq": item.toSeq });
    const error = new Error(`otel exporter fell behind: dropped seq ${item.fromSeq}..${item.toSeq} of run "${item.runId}"`);
    report({ kind: "dropped", gap: item, error });
  };

  const loop = (async () => {
    for await (const item of subscription) {
      if (item.type === "stream.gap") gap(item as StreamGap);
      else {
        counts.events++;
        try {
          translation.handle(item as RuntrailEvent);
        } catch (error) {
          counts.failures++;
          report({ kind: "threw", event: item as RuntrailEvent, error });
        }
      }
      if (subscription.buffered === 0) wake();
    }
    wake();
  })();

  function wake(): void {
    const waiters = idle;
    idle = [];
    for (const resolve of waiters) resolve();
  }

  const handle: OtelExporter = {
    runOptions: (incoming = {}) => preStartRun(tracer, pending, incoming),
    flush: () =>
      // The subscription hands events over on microtasks: one macrotask later, all emitted so far are in.
      new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        subscription.buffered === 0 ? undefined : new Promise<void>((resolve) => idle.push(resolve)),
      ),
    stats: () => ({ ...counts, openRuns: translation.runs.size }),
    async close() {
      await handle.flush();
      subscription.unsubscribe();
      await loop;
      translation.endAll(Date.now());
      pending.clear();
    },
  };
  return handle;
}
