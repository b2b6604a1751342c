/**
 * Turns a trail into spans, one event at a time, in the order the bus delivered them: runs,
 * sub-workflow runs, waves and steps here; loops, calls and the rest in `otel-trail-work.ts`.
 */
import { ROOT_CONTEXT, trace, TraceFlags, type Attributes, type Context, type Span, type SpanContext } from "@opentelemetry/api";
import { isSpanId, isTraceId, type EventOf, type RuntrailEvent } from "../../events/index.js";
import { addDecision, contentValue, envelopeAttributes, failSpan } from "./otel-attributes.js";
import { RunSpans } from "./otel-run-spans.js";
import type { TrailTracerSettings } from "./otel-settings.js";
import { handleWork } from "./otel-trail-work.js";

export type { TrailTracerSettings } from "./otel-settings.js";

export class TrailTracer {
  readonly runs = new Map<string, RunSpans>();

  constructor(readonly settings: TrailTracerSettings) {}

  handle(event: RuntrailEvent): void {
    if (event.type === "run.started") {
      this.startRun(event);
      return;
    }
    const state = this.runs.get(event.runId);
    // A run whose start this exporter did not see (it attached mid-run): nothing to hang spans on.
    if (state === undefined) return;
    state.touch(event.path, event.ts);
    switch (event.type) {
      case "run.completed":
        addDecision(state.run, "skip", event.decision, event.ts);
        if (this.settings.captureContent && event.output !== undefined) state.run.setAttribute("runtrail.output", contentValue(event.output));
        return this.endRun(state, event, "completed");
      case "run.failed":
        addDecision(state.run, "fail", event.decision, event.ts);
        failSpan(state.run, event.error, event.ts);
        return this.endRun(state, event, "failed");
      case "run.cancelled":
        if (event.reason !== undefined) state.run.setAttribute("runtrail.run.cancel_reason", event.reason);
        return this.endRun(state, event, "cancelled");
      case "run.suspended":
      case "run.resumed":
        state.run.addEvent(event.type === "run.suspended" ? "runtrail.run.suspended" : "runtrail.run.resumed", {}, event.ts);
        return;
      case "wave.started": {
        const span = this.start(`wave ${event.wave}`, state.container(event.path), event, {
          "runtrail.wave": event.wave,
          "runtrail.wave.step_ids": event.stepIds,
        });
        state.waves.set(RunSpans.waveKey(event.path, event.wave), span);
        for (const stepId of event.stepIds) state.waveOfStep.set(RunSpans.stepKey(event.path, stepId), span);
        return;
      }
      case "wave.completed": {
        const key = RunSpans.waveKey(event.path, event.wave);
        state.waves.get(key)?.end(event.ts);
        state.waves.delete(key);
        return;
      }
      case "step.started":
        return this.startAttempt(state, event);
      default:
        handleWork(this, state, event);
    }
  }

  /** Starts a span at the event's time under `parent`, with the event's `runtrail.*` attributes. */
  start(name: string, parent: Span | Context, event: RuntrailEvent, extra?: Attributes, kind?: number): Span {
    const context = "spanContext" in parent ? trace.setSpan(ROOT_CONTEXT, parent) : parent;
    const attributes = extra === undefined ? envelopeAttributes(event) : { ...envelopeAttributes(event), ...extra };
    return this.settings.tracer.startSpan(name, { startTime: event.ts, attributes, ...(kind === undefined ? {} : { kind }) }, context);
  }

  private startRun(event: EventOf<"run.started">): void {
    const name = `run ${event.workflow.name}`;
    let span = this.settings.pending.get(event.runId);
    if (span !== undefined) {
      this.settings.pending.delete(event.runId);
      span.updateName(name);
      span.setAttributes(envelopeAttributes(event));
    } else {
      span = this.start(name, this.runParent(event), event);
    }
    if (event.totalSteps !== undefined) span.setAttribute("runtrail.run.total_steps", event.totalSteps);
    if (this.settings.captureContent && event.input !== undefined) span.setAttribute("runtrail.input", contentValue(event.input));
    this.runs.set(event.runId, new RunSpans(span, event.ts));
  }

  /**
   * A sub-workflow's run hangs under the attempt of the parent's step that started it (its events
   * name it: `parentStepId`, `parentAttempt`, `parentPath`); a run started from a span in another
   * process (its `traceId`/`spanId`) becomes that span's child; any other run starts a trace.
   */
  private runParent(event: EventOf<"run.started">): Span | Context {
    const parent = event.parentRunId === undefined ? undefined : this.runs.get(event.parentRunId);
    if (parent !== undefined) return (event.parentStepId === undefined ? undefined : parent.attemptOf(event.parentPath, event.parentStepId, event.parentAttempt)) ?? parent.run;
    if (event.traceId !== undefined && isTraceId(event.traceId) && event.spanId !== undefined && isSpanId(event.spanId)) {
      const remote: SpanContext = { traceId: event.traceId, spanId: event.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true };
      return trace.setSpanContext(ROOT_CONTEXT, remote);
    }
    return ROOT_CONTEXT;
  }

  private endRun(state: RunSpans, event: RuntrailEvent, status: string): void {
    state.endAll(event.ts);
    state.run.setAttribute("runtrail.run.status", status);
    state.run.setAttribute("runtrail.seq.last", event.seq);
    state.run.end(event.ts);
    this.runs.delete(event.runId);
  }

  private startAttempt(state: RunSpans, event: EventOf<"step.started">): void {
    const stepId = event.stepId ?? "?";
    const key = RunSpans.stepKey(event.path, stepId);
    let step = state.steps.get(key);
    if (step === undefined) {
      const span = this.start(`step ${stepId}`, state.stepParent(event.path, stepId), event);
      step = { span, attempt: undefined, attemptNumber: 0, lastTs: event.ts, failed: undefined };
      state.addStep(key, step);
    }
    step.attempt?.end(event.ts);
    step.attemptNumber = event.attempt ?? step.attemptNumber + 1;
    step.attempt = this.start(`step ${stepId} attempt ${step.attemptNumber}`, step.span, event);
    step.span.setAttribute("runtrail.attempts", step.attemptNumber);
    if (this.settings.captureContent && event.input !== undefined) step.attempt.setAttribute("runtrail.input", contentValue(event.input));
  }

  /** Ends every span of every open run (on close), marked `runtrail.incomplete`. */
  endAll(ts: number): void {
    for (const state of this.runs.values()) {
      state.endAll(ts, "runtrail.incomplete");
      state.run.setAttribute("runtrail.incomplete", true);
      state.run.end(ts);
    }
    this.runs.clear();
  }
}
