/**
 * The `runtrail.*` attributes every span carries, and the span events of control decisions,
 * fallbacks and errors: so a trace links back to its trail (run id and seq) both ways.
 */
import type { Attributes, Span } from "@opentelemetry/api";
import { SpanStatusCode } from "@opentelemetry/api";
import type { Decision, ErrorInfo, RuntrailEvent } from "../../events/index.js";

/** The attributes of the span an event opens: where in which run, and at which seq. */
export function envelopeAttributes(event: RuntrailEvent): Attributes {
  const attributes: Attributes = {
    "runtrail.account_id": event.accountId,
    "runtrail.workflow.name": event.workflow.name,
    "runtrail.run_id": event.runId,
    "runtrail.seq": event.seq,
    "runtrail.event_id": event.id,
  };
  if (event.workflow.version !== undefined) attributes["runtrail.workflow.version"] = event.workflow.version;
  if (event.parentRunId !== undefined) attributes["runtrail.parent_run_id"] = event.parentRunId;
  if (event.parentStepId !== undefined) attributes["runtrail.parent_step_id"] = event.parentStepId;
  if (event.parentAttempt !== undefined) attributes["runtrail.parent_attempt"] = event.parentAttempt;
  if (event.parentPath !== undefined) attributes["runtrail.parent_path"] = event.parentPath.join(".");
  if (event.stepId !== undefined) attributes["runtrail.step.id"] = event.stepId;
  if (event.stepKey !== undefined) attributes["runtrail.step.key"] = event.stepKey;
  if (event.tag !== undefined) attributes["runtrail.step.tag"] = event.tag;
  if (event.attempt !== undefined) attributes["runtrail.attempt"] = event.attempt;
  if (event.path !== undefined) attributes["runtrail.path"] = event.path.join(".");
  return attributes;
}

/** Content (inputs, outputs, prompts) as one attribute value: JSON, since attributes are flat. */
export function contentValue(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    return String(value);
  }
}

/** A control handler's decision, as a span event named after what it decided. */
export function addDecision(span: Span, what: string, decision: Decision | undefined, ts: number): void {
  if (decision === undefined) return;
  const attributes: Attributes = { "runtrail.decision": what, "runtrail.decision.handler": decision.handler };
  if (decision.reason !== undefined) attributes["runtrail.decision.reason"] = decision.reason;
  span.addEvent("runtrail.decision", attributes, ts);
}

/** Marks a span failed: ERROR status, `error.type`, and the error as an `exception` event. */
export function failSpan(span: Span, error: ErrorInfo, ts: number): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.setAttribute("error.type", error.name);
  span.recordException(
    { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) },
    ts,
  );
}
