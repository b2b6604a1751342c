/**
 * One event as one line of plain text: what `--progress plain`, `runtrail events` and `replay`
 * print. No escape codes, ever (a line goes to logs, CI output and pipes); a value is cut short.
 */
import type { RuntrailEvent } from "../../events/index.js";
import { brief, formatMs } from "./view-render.js";

function where(event: RuntrailEvent): string {
  if (event.stepId === undefined) return "";
  return ` ${event.stepId}${event.path === undefined || event.path.length === 0 ? "" : `[${event.path.join("][")}]`}`;
}

function loopName(event: { readonly stepId?: string; readonly loopId: string }): string {
  return event.stepId === event.loopId ? "" : ` ${event.loopId}`;
}

function detail(event: RuntrailEvent): string {
  switch (event.type) {
    case "run.started":
      return ` ${event.workflow.name}${event.workflow.version === undefined ? "" : `@${event.workflow.version}`}${event.totalSteps === undefined ? "" : ` (${event.totalSteps} steps)`}`;
    case "run.completed":
      return ` in ${formatMs(event.durationMs)}, output ${brief(event.output, 60)}`;
    case "run.failed":
      return ` after ${formatMs(event.durationMs)}: ${event.error.name}: ${event.error.message}${event.decision === undefined ? "" : ` (decided by ${event.decision.handler})`}`;
    case "run.cancelled":
      return event.reason === undefined ? "" : `: ${event.reason}`;
    case "run.suspended":
      // What it waits for, so a reader knows which `runtrail signal` ends the wait.
      return `${event.waitingFor === undefined ? "" : ` waiting for signal "${event.waitingFor}"`}${event.reason === undefined || event.waitingFor !== undefined ? "" : `: ${event.reason}`}${event.by === undefined ? "" : ` (by ${event.by})`}`;
    case "run.resumed":
      return `${event.signal === undefined ? "" : ` by signal "${event.signal}"`}${event.by === undefined ? "" : ` (by ${event.by})`}`;
    case "signal.received":
      return ` "${event.signal}" ${brief(event.payload)}`;
    case "signal.timeout":
      return ` "${event.signal}" after ${formatMs(event.timeoutMs)}: the step ${event.action === "fail" ? "fails" : "goes on"}`;
    case "step.started":
      return event.attempt !== undefined && event.attempt > 1 ? ` (attempt ${event.attempt})` : "";
    case "step.completed":
      return ` ${formatMs(event.durationMs)}${event.fallback === undefined ? "" : ` (fallback by ${event.fallback.handler})`}`;
    case "step.failed":
      return `: ${event.error.name}: ${event.error.message}${event.attempt !== undefined && event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`;
    case "step.retrying":
      return `: ${event.error.message}; attempt ${event.nextAttempt} in ${formatMs(event.delayMs)}${event.decision === undefined ? "" : `, decided by ${event.decision.handler}`}`;
    case "step.skipped":
      return `: ${event.reason}${event.decision === undefined ? "" : ` (decided by ${event.decision.handler})`}`;
    case "wave.started":
    case "wave.completed":
      return ` ${event.wave}: ${event.stepIds.join(", ")}`;
    case "condition.evaluated":
      return ` ${event.kind} ${event.expression} → ${event.result}`;
    // A loop's events carry its step as stepId: name the loop only when it is another.
    case "loop.started":
      return `${loopName(event)}${event.total === undefined ? "" : ` (${event.total} items)`}`;
    case "loop.iteration":
      return event.stepId === event.loopId ? "" : ` ${event.loopId}[${event.iteration.index}]`;
    case "loop.completed":
      return `${loopName(event)}: ${event.iterations} iterations`;
    case "variable.changed":
      return ` ${event.variable.name} = ${brief(event.variable.new)}`;
    case "progress.updated":
      return ` ${event.progress.percent}% (${event.progress.completed + event.progress.skipped + event.progress.failed}/${event.progress.total})`;
    case "tool.called":
      return ` ${event.tool.name} ${brief(event.arguments)}${event.decision === undefined ? "" : ` (again, decided by ${event.decision.handler})`}`;
    case "tool.completed":
      return ` ${event.tool.name} ${formatMs(event.durationMs)} → ${brief(event.result)}`;
    case "tool.failed":
      return ` ${event.tool.name}: ${event.error.message}`;
    case "llm.requested":
      return ` ${event.llm.model} ${brief(event.prompt)}`;
    case "llm.responded":
      return ` ${event.llm.model} ${formatMs(event.durationMs)}${event.usage?.totalTokens === undefined ? "" : ` ${event.usage.totalTokens} tokens`}`;
    case "llm.failed":
      return ` ${event.llm.model}: ${event.error.message}`;
    default:
      return "data" in event && event.data !== undefined ? ` ${brief(event.data)}` : "";
  }
}

/** Control characters would reach the terminal as escape codes: show them escaped. */
function safe(text: string): string {

  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => (ch === "\n" ? "\\n" : `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

/**
 * The line for one event: `#seq type step[i] details`, with the run id when asked.
 *
 * @example
 * eventLine(event) // "#7 step.retrying ship: carrier busy; attempt 2 in 0ms, decided by retry"
 */
export function eventLine(event: RuntrailEvent, options: { readonly runId?: boolean } = {}): string {
  const run = options.runId === true ? `${event.runId} ` : event.parentRunId === undefined ? "" : `  ${event.workflow.name} `;
  return safe(`${run}#${event.seq} ${event.type}${where(event)}${detail(event)}`);
}
