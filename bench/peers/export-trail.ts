/**
 * What the `export` suite feeds every contender: runs of one shape (a wave of steps, each with a
 * tool call), as fresh bus inputs, and the same spans made by hand with the OTel SDK (the peer).
 */
import { ROOT_CONTEXT, trace, type Tracer } from "@opentelemetry/api";
import { BasicTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { EventBus, EventInput } from "runtrail";

export const STEPS = 8;
/** run.started, wave.started, per step 4 (started, tool called/completed, completed), wave.completed, run.completed. */
export const EVENTS_PER_RUN = 4 + 4 * STEPS;
/** Spans per run: the run, the wave, per step the step, its attempt and its tool call. */
export const SPANS_PER_RUN = 2 + 3 * STEPS;

const workflow = { name: "bench", version: "1" };
const stepIds = Array.from({ length: STEPS }, (_, i) => `step-${i}`);

/** An exporter that takes every span and does nothing with it, counting them. */
export class NoopExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export function noopProvider(): { provider: BasicTracerProvider; exporter: NoopExporter } {
  const exporter = new NoopExporter();
  return { provider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }), exporter };
}

let runs = 0;

/**
 * Emits one run's events into the bus (fresh objects), synchronously: no consumer here blocks,
 * so no emit returns a promise, and nothing else runs until the run's last event is out.
 */
export function emitRun(bus: EventBus): void {
  const runId = `bench-${++runs}`;
  const emit = (input: EventInput): void => {
    if (bus.emit(input) !== undefined) throw new Error("a bench bus consumer asked the producer to wait");
  };
  emit({ type: "run.started", runId, workflow, totalSteps: STEPS });
  emit({ type: "wave.started", runId, workflow, wave: 0, stepIds });
  for (const stepId of stepIds) {
    emit({ type: "step.started", runId, workflow, stepId, attempt: 1 });
    emit({ type: "tool.called", runId, workflow, stepId, attempt: 1, tool: { name: "search", callId: `${runId}:${stepId}` }, arguments: { q: stepId } });
    emit({ type: "tool.completed", runId, workflow, stepId, attempt: 1, tool: { name: "search", callId: `${runId}:${stepId}` }, result: 1, durationMs: 0.1 });
    emit({ type: "step.completed", runId, workflow, stepId, attempt: 1, output: 1, durationMs: 0.2 });
  }
  emit({ type: "wave.completed", runId, workflow, wave: 0, stepIds, durationMs: 1 });
  emit({ type: "run.completed", runId, workflow, output: 1, durationMs: 1 });
}

/** The same spans, with the same attributes, made directly with the SDK: what a hand-instrumented engine would pay. */
export function handMadeRun(tracer: Tracer): void {
  const runId = `hand-${++runs}`;
  const now = Date.now();
  const base = { "runtrail.account_id": "default", "runtrail.workflow.name": "bench", "runtrail.workflow.version": "1", "runtrail.run_id": runId };
  let seq = 0;
  const attrs = (extra: Record<string, string | number>) => ({ ...base, "runtrail.seq": ++seq, "runtrail.event_id": `${runId}:${seq}`, ...extra });
  const run = tracer.startSpan("run bench", { startTime: now, attributes: attrs({}) }, ROOT_CONTEXT);
  const wave = tracer.startSpan("wave 0", { startTime: now, attributes: attrs({ "runtrail.wave": 0 }) }, trace.setSpan(ROOT_CONTEXT, run));
  for (const stepId of stepIds) {
    const step = tracer.startSpan(`step ${stepId}`, { startTime: now, attributes: attrs({ "runtrail.step.id": stepId, "runtrail.attempt": 1 }) }, trace.setSpan(ROOT_CONTEXT, wave));
    const attempt = tracer.startSpan(`step ${stepId} attempt 1`, { startTime: now, attributes: attrs({ "runtrail.step.id": stepId, "runtrail.attempt": 1 }) }, trace.setSpan(ROOT_CONTEXT, step));
    const tool = tracer.startSpan("execute_tool search", { startTime: now, attributes: attrs({ "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search", "gen_ai.tool.call.id": `${runId}:${stepId}` }) }, trace.setSpan(ROOT_CONTEXT, attempt));
    tool.end(now);
    attempt.end(now);
    step.setAttribute("runtrail.step.status", "completed");
    step.end(now);
    seq++;
  }
  wave.end(now);
  run.setAttribute("runtrail.run.status", "completed");
  run.end(now);
}
