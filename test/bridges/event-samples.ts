/**
 * One stamped event of every built-in type, plus a custom one, with the optional envelope fields
 * set on some (trace context, parent run, loop path, step key): what the export tests map.
 */
import { BUILTIN_EVENT_TYPES, createBus, type EventInput, type RuntrailEvent } from "runtrail";

const workflow = { name: "etl", version: "2" };
const error = { name: "TypeError", message: "bad row", retryable: false };
const trace = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" };

const inputs: EventInput[] = [
  { type: "run.started", runId: "r", accountId: "acme", workflow, input: { rows: 3 }, totalSteps: 2, ...trace },
  { type: "step.started", runId: "r", accountId: "acme", workflow, stepId: "a", stepKey: "k", tag: "t", attempt: 1, input: 1 },
  { type: "step.running", runId: "r", accountId: "acme", workflow, stepId: "a", attempt: 1 },
  { type: "step.failed", runId: "r", accountId: "acme", workflow, stepId: "a", error, durationMs: 2, metrics: { rows: 1 } },
  { type: "step.retrying", runId: "r", accountId: "acme", workflow, stepId: "a", error, delayMs: 100, nextAttempt: 2, decision: { handler: "retry", reason: "503" } },
  { type: "step.completed", runId: "r", accountId: "acme", workflow, stepId: "a", output: { nested: [1, "two", null] }, durationMs: 3.25, issues: ["slow"] },
  { type: "step.skipped", runId: "r", accountId: "acme", workflow, stepId: "b", reason: "when: false" },
  { type: "wave.started", runId: "r", accountId: "acme", workflow, wave: 0, stepIds: ["a", "b"] },
  { type: "wave.completed", runId: "r", accountId: "acme", workflow, wave: 0, stepIds: ["a", "b"], durationMs: 5 },
  { type: "condition.evaluated", runId: "r", accountId: "acme", workflow, conditionId: "b.when", kind: "when", expression: "x > 1", result: false, scope: { x: 1 } },
  { type: "loop.started", runId: "r", accountId: "acme", workflow, loopId: "each", kind: "foreach", total: 2 },
  { type: "loop.iteration", runId: "r", accountId: "acme", workflow, loopId: "each", iteration: { index: 0, item: "u1" }, path: [0] },
  { type: "loop.completed", runId: "r", accountId: "acme", workflow, loopId: "each", iterations: 2, durationMs: 4 },
  { type: "variable.changed", runId: "r", accountId: "acme", workflow, variable: { name: "count", old: 1, new: 2 } },
  { type: "progress.updated", runId: "r", accountId: "acme", workflow, progress: { completed: 1, failed: 0, skipped: 1, total: 4, percent: 50 } },
  { type: "tool.called", runId: "r", accountId: "acme", workflow, stepId: "a", tool: { name: "search", callId: "t1" }, arguments: { q: "x" } },
  { type: "tool.completed", runId: "r", accountId: "acme", workflow, stepId: "a", tool: { name: "search", callId: "t1" }, result: [], durationMs: 9 },
  { type: "tool.failed", runId: "r", accountId: "acme", workflow, stepId: "a", tool: { name: "search", callId: "t2" }, error, durationMs: 9 },
  { type: "llm.requested", runId: "r", accountId: "acme", workflow, llm: { callId: "l1", model: "m" }, prompt: "héllo ✓" },
  { type: "llm.responded", runId: "r", accountId: "acme", workflow, llm: { callId: "l1", model: "m" }, response: "yo", usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 }, durationMs: 7 },
  { type: "llm.failed", runId: "r", accountId: "acme", workflow, llm: { callId: "l2", model: "m" }, error, durationMs: 7 },
  { type: "x.audit", runId: "r", accountId: "acme", workflow, data: { who: "me" } },
  { type: "run.suspended", runId: "r", accountId: "acme", workflow, reason: "approval" },
  { type: "run.resumed", runId: "r", accountId: "acme", workflow, signal: "approval", by: "alice" },
  { type: "signal.received", runId: "r", accountId: "acme", workflow, stepId: "a", attempt: 1, signal: "approval", index: 0, payload: { approved: true } },
  { type: "signal.timeout", runId: "r", accountId: "acme", workflow, stepId: "a", attempt: 1, signal: "later", index: 1, timeoutMs: 5, action: "fail" },
  { type: "run.failed", runId: "r", accountId: "acme", workflow, error, durationMs: 10 },
  { type: "run.started", runId: "child", workflow: { name: "sub" }, parentRunId: "r", parentStepId: "each", parentAttempt: 2, parentPath: [0, 3], ...trace },
  { type: "run.completed", runId: "child", workflow: { name: "sub" }, parentRunId: "r", parentStepId: "each", parentAttempt: 2, parentPath: [0, 3], output: 1, durationMs: 1 },
  { type: "run.cancelled", runId: "gone", workflow, reason: "user", durationMs: 1 },
];

/** Fresh stamped events, in emit order; every built-in type appears at least once. */
export function sampleEvents(): RuntrailEvent[] {
  const bus = createBus({ clock: () => 1_796_300_000_123 });
  const out: RuntrailEvent[] = [];
  bus.onEvent((event) => out.push(event));
  for (const input of inputs) void bus.emit(structuredClone(input));
  const missing = BUILTIN_EVENT_TYPES.filter((type) => !out.some((event) => event.type === type));
  if (missing.length > 0) throw new Error(`samples lack ${missing.join(", ")}`);
  return out;
}
