/**
 * The events inside a step: attempts ending, skips, retries, conditions, loops and their
 * iterations, variables, progress, tool and LLM calls, and custom `x.*` events.
 */
import type { RuntrailEvent } from "../../events/index.js";
import { addDecision, contentValue, failSpan } from "./otel-attributes.js";
import { llmResultAttributes, llmSpanStart, toolResultAttributes, toolSpanStart } from "./otel-genai.js";
import { RunSpans } from "./otel-run-spans.js";
import type { Attributes, Context, Span } from "@opentelemetry/api";
import type { TrailTracerSettings } from "./otel-settings.js";

/** What the work spans need of the trail tracer (it implements this; no import back). */
export interface SpanStarter {
  readonly settings: TrailTracerSettings;
  start(name: string, parent: Span | Context, event: RuntrailEvent, extra?: Attributes, kind?: number): Span;
}

export function handleWork(tracer: SpanStarter, state: RunSpans, event: RuntrailEvent): void {
  const { captureContent: capture } = tracer.settings;
  const stepKey = event.stepId === undefined ? "" : RunSpans.stepKey(event.path, event.stepId);
  const step = state.steps.get(stepKey);
  switch (event.type) {
    case "step.running":
      step?.attempt?.addEvent("runtrail.step.running", {}, event.ts);
      return;
    case "step.completed":
      if (step === undefined) return;
      if (event.metrics !== undefined) for (const [name, value] of Object.entries(event.metrics)) step.span.setAttribute(`runtrail.metric.${name}`, value);
      if (event.issues !== undefined && event.issues.length > 0) step.span.setAttribute("runtrail.issues", event.issues);
      if (capture && event.output !== undefined) step.span.setAttribute("runtrail.output", contentValue(event.output));
      addDecision(step.span, "fallback", event.fallback, event.ts);
      step.attempt?.end(event.ts);
      step.span.setAttribute("runtrail.step.status", "completed");
      step.span.end(event.ts);
      state.forgetStep(stepKey);
      return;
    case "step.failed":
      if (step?.attempt === undefined) return;
      failSpan(step.attempt, event.error, event.ts);
      step.attempt.end(event.ts);
      step.attempt = undefined;
      step.lastTs = event.ts;
      step.failed = event.error;
      step.span.setAttribute("runtrail.step.status", "failed");
      return;
    case "step.retrying":
      if (step === undefined) return;
      step.failed = undefined;
      step.span.addEvent(
        "runtrail.step.retrying",
        { "error.type": event.error.name, "runtrail.error.message": event.error.message, "runtrail.retry.delay_ms": event.delayMs, "runtrail.retry.next_attempt": event.nextAttempt },
        event.ts,
      );
      addDecision(step.span, "retry", event.decision, event.ts);
      return;
    case "step.skipped": {
      const span = step?.span ?? tracer.start(`step ${event.stepId ?? "?"}`, state.stepParent(event.path, event.stepId ?? "?"), event);
      step?.attempt?.end(event.ts);
      span.setAttributes({ "runtrail.step.status": "skipped", "runtrail.step.skip_reason": event.reason });
      addDecision(span, "skip", event.decision, event.ts);
      span.end(event.ts);
      if (step !== undefined) state.forgetStep(stepKey);
      return;
    }
    case "condition.evaluated":
      state.workOf(event.path, event.stepId).addEvent(
        "runtrail.condition",
        { "runtrail.condition.id": event.conditionId, "runtrail.condition.kind": event.kind, "runtrail.condition.expression": event.expression, "runtrail.condition.result": event.result },
        event.ts,
      );
      return;
    case "loop.started": {
      const span = tracer.start(`loop ${event.loopId}`, state.workOf(event.path, event.stepId), event, {
        "runtrail.loop.id": event.loopId,
        "runtrail.loop.kind": event.kind,
        ...(event.total === undefined ? {} : { "runtrail.loop.total": event.total }),
      });
      state.loops.set(RunSpans.loopKey(event.path, event.loopId), span);
      return;
    }
    case "loop.iteration": {
      const outer = event.path?.slice(0, -1);
      const loop = RunSpans.loopKey(outer, event.loopId);
      const parent = state.loops.get(loop) ?? state.workOf(outer, event.stepId);
      const span = tracer.start(`${event.loopId} iteration ${event.iteration.index}`, parent, event, { "runtrail.loop.index": event.iteration.index });
      if (capture && event.iteration.item !== undefined) span.setAttribute("runtrail.loop.item", contentValue(event.iteration.item));
      state.iterations.set((event.path ?? [event.iteration.index]).join("."), { span, lastTs: event.ts, loop });
      return;
    }
    case "loop.completed": {
      const loop = RunSpans.loopKey(event.path, event.loopId);
      state.endIterations(loop);
      state.loops.get(loop)?.setAttribute("runtrail.loop.iterations", event.iterations);
      state.loops.get(loop)?.end(event.ts);
      state.loops.delete(loop);
      return;
    }
    case "variable.changed":
      state.run.addEvent(
        "runtrail.variable.changed",
        { "runtrail.variable.name": event.variable.name, ...(capture ? { "runtrail.variable.new": contentValue(event.variable.new) } : {}) },
        event.ts,
      );
      return;
    case "progress.updated":
      state.run.setAttributes({
        "runtrail.progress.completed": event.progress.completed,
        "runtrail.progress.failed": event.progress.failed,
        "runtrail.progress.skipped": event.progress.skipped,
        "runtrail.progress.total": event.progress.total,
        "runtrail.progress.percent": event.progress.percent,
      });
      return;
    case "tool.called": {
      const start = toolSpanStart(event, capture);
      const span = tracer.start(start.name, state.workOf(event.path, event.stepId), event, start.attributes, start.kind);
      addDecision(span, "retry", event.decision, event.ts);
      state.calls.set(event.tool.callId, span);
      return;
    }
    case "llm.requested": {
      const start = llmSpanStart(event, capture, tracer.settings.provider);
      const span = tracer.start(start.name, state.workOf(event.path, event.stepId), event, start.attributes, start.kind);
      addDecision(span, "retry", event.decision, event.ts);
      state.calls.set(event.llm.callId, span);
      return;
    }
    case "tool.completed":
    case "llm.responded":
    case "tool.failed":
    case "llm.failed": {
      const callId = "tool" in event ? event.tool.callId : event.llm.callId;
      const span = state.calls.get(callId);
      if (span === undefined) return;
      if (event.type === "tool.completed") span.setAttributes(toolResultAttributes(event, capture));
      if (event.type === "llm.responded") span.setAttributes(llmResultAttributes(event, capture));
      if (event.type === "tool.failed" || event.type === "llm.failed") failSpan(span, event.error, event.ts);
      else addDecision(span, "fallback", event.fallback, event.ts);
      span.end(event.ts);
      state.calls.delete(callId);
      return;
    }
    default:
      if (event.type.startsWith("x.")) {
        const data = capture && "data" in event && event.data !== undefined ? { "runtrail.data": contentValue(event.data) } : {};
        state.workOf(event.path, event.stepId).addEvent(event.type, data, event.ts);
      }
  }
}
