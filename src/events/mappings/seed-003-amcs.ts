/**
 * Seed 003 (AMCS workflow events): one `WorkflowEvent` at a step's start, end or failure, with
 * duration, numeric metrics and issues, as its `to_dict()` wrote it. A pure mapping.
 */
import type { RuntrailEvent } from "../catalog.js";
import { pythonIsoformat } from "./python-time.js";

/** The phase of an AMCS workflow event. */
export type AmcsPhase = "start" | "end" | "fail";

/** Seed 003's `WorkflowEvent`, in the JSON form of its `to_dict()`. */
export interface AmcsWorkflowEvent {
  /** Naive UTC ISO 8601, as Python's `datetime.utcnow().isoformat()` wrote it. */
  ts: string;
  run_id: string;
  /** The step's id, unchanged (AMCS named its eight nodes PLAN, STYLE, LYRICS, …). */
  node: string;
  phase: AmcsPhase;
  /** Whole milliseconds, truncated as AMCS's `int(seconds * 1000)` did. */
  duration_ms: number;
  metrics: Record<string, number>;
  issues: string[];
  /** The trace the step ran in, as AMCS's structured log record carried it; when the event has one. */
  trace_id?: string;
  /** The step's span, as AMCS's log record carried it; when the event has one. */
  span_id?: string;
}

/**
 * The AMCS event for a Runtrail event: `step.started` → `start`, `step.completed` → `end`,
 * `step.failed` → `fail` (its issues end with the error message, as AMCS appended `str(e)`).
 * Every other event, and step events without a `stepId`, give `undefined`.
 *
 * @example
 * bus.onEvent((e) => {
 *   const row = toAmcsEvent(e);
 *   if (row) console.log(`${row.node} ${row.phase} ${row.duration_ms}ms`, row.metrics, row.issues);
 * }, { type: "step.*" });
 */
export function toAmcsEvent(event: RuntrailEvent): AmcsWorkflowEvent | undefined {
  if (event.stepId === undefined) return undefined;
  const base = { ts: pythonIsoformat(event.ts), run_id: event.runId, node: event.stepId };
  const trace = {
    ...(event.traceId !== undefined ? { trace_id: event.traceId } : {}),
    ...(event.spanId !== undefined ? { span_id: event.spanId } : {}),
  };
  switch (event.type) {
    case "step.started":
      return { ...base, phase: "start", duration_ms: 0, metrics: {}, issues: [], ...trace };
    case "step.completed":
      return {
        ...base,
        phase: "end",
        duration_ms: Math.trunc(event.durationMs),
        metrics: { ...event.metrics },
        issues: [...(event.issues ?? [])],
        ...trace,
      };
    case "step.failed":
      return {
        ...base,
        phase: "fail",
        duration_ms: Math.trunc(event.durationMs),
        metrics: { ...event.metrics },
        issues: [...(event.issues ?? []), event.error.message],
        ...trace,
      };
    default:
      return undefined;
  }
}
