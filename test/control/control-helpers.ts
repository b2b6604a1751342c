/** Real events for control tests: stamped by a real bus, with contexts as the engine builds them. */
import { createBus, type ErrorInfo, type EventBus, type RuntrailEvent } from "runtrail";
import { decisionPointOf, type ControlContext } from "../../src/control/index.js";

export const wf = { name: "control-wf" };

/** A bus whose events are kept in order, and builders that emit and return the stamped event. */
export function makeTrail(runId = "run-1") {
  const bus: EventBus = createBus();
  const events: RuntrailEvent[] = [];
  bus.onEvent((event) => events.push(event));
  const last = (): RuntrailEvent => events[events.length - 1]!;
  return {
    bus,
    events,
    runStarted(): RuntrailEvent {
      void bus.emit({ type: "run.started", runId, workflow: wf });
      return last();
    },
    stepStarted(stepId: string, attempt = 1): RuntrailEvent {
      void bus.emit({ type: "step.started", runId, workflow: wf, stepId, attempt });
      return last();
    },
    stepFailed(stepId: string, attempt = 1, error: ErrorInfo = { name: "Error", message: "boom" }): RuntrailEvent {
      void bus.emit({ type: "step.failed", runId, workflow: wf, stepId, attempt, error, durationMs: 3 });
      return last();
    },
    stepCompleted(stepId: string, attempt = 1): RuntrailEvent {
      void bus.emit({ type: "step.completed", runId, workflow: wf, stepId, attempt, output: "ok", durationMs: 2 });
      return last();
    },
    toolFailed(stepId: string, tool: string, callId: string): RuntrailEvent {
      void bus.emit({
        type: "tool.failed",
        runId,
        workflow: wf,
        stepId,
        tool: { name: tool, callId },
        error: { name: "FetchError", message: "503" },
        durationMs: 5,
      });
      return last();
    },
    toolCompleted(stepId: string, tool: string, callId: string): RuntrailEvent {
      void bus.emit({ type: "tool.completed", runId, workflow: wf, stepId, tool: { name: tool, callId }, result: 1, durationMs: 5 });
      return last();
    },
    llmFailed(stepId: string, model: string): RuntrailEvent {
      void bus.emit({
        type: "llm.failed",
        runId,
        workflow: wf,
        stepId,
        llm: { callId: "c1", model },
        error: { name: "RateLimited", message: "429", retryable: true },
        durationMs: 9,
      });
      return last();
    },
    custom(type: `x.${string}`): RuntrailEvent {
      void bus.emit({ type, runId, workflow: wf, data: {} });
      return last();
    },
  };
}

/** The context the engine passes with `event`, at the decision point its type stands for. */
export function contextFor(event: RuntrailEvent, attempt = event.attempt ?? 1, history: readonly RuntrailEvent[] = []): ControlContext {
  const point = decisionPointOf(event.type);
  if (point === undefined) throw new Error(`${event.type} is not a decision point`);
  const error = "error" in event ? (event.error as ErrorInfo) : undefined;
  return {
    point,
    runId: event.runId,
    accountId: event.accountId,
    workflow: event.workflow,
    attempt,
    history,
    ...(event.stepId === undefined ? {} : { stepId: event.stepId }),
    ...(error === undefined ? {} : { error }),
  };
}

/** A hand-made context for events that are no decision point (custom events in filter tests). */
export function anyContext(event: RuntrailEvent): ControlContext {
  return { point: "before-step", runId: event.runId, accountId: event.accountId, workflow: event.workflow, attempt: 1, history: [] };
}
