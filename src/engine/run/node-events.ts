/**
 * The events the scheduler, the loops and the step runner write about a node: skipped, a condition
 * evaluated, started and completed (for container nodes: if, loops), failed outside a handler.
 */
import { elapsedMs } from "../../common/index.js";
import type { Decision, ErrorInfo } from "../../events/index.js";
import type { CompiledExpression } from "../define/expression-compile.js";
import type { CompiledNode } from "../define/graph-compile.js";
import { DONE, SKIPPED, type Frame } from "./run-frame.js";
import { StepFailedError, toErrorInfo } from "./run-errors.js";
import type { RunHost } from "./run-host.js";
import type { StepEventBody } from "./step-context.js";

export function skip(run: RunHost, frame: Frame, node: CompiledNode, reason: string): Promise<void> {
  frame.state[node.index] = SKIPPED;
  frame.skipped++;
  return run.emit({ type: "step.skipped", reason }, node, undefined, frame.path) ?? Promise.resolve();
}

/** Evaluates a condition and emits `condition.evaluated`; undefined when it threw (the run fails). */
export async function evaluate(run: RunHost, frame: Frame, node: CompiledNode, condition: CompiledExpression<boolean>, kind: "if" | "when" | "while", index?: number): Promise<boolean | undefined> {
  const [result, wait] = evaluateNow(run, frame, node, condition, kind, index);
  if (wait !== undefined) await wait;
  return result;
}

/** The condition's result now, and a promise to await before going on (backpressure, or a failure). */
export function evaluateNow(run: RunHost, frame: Frame, node: CompiledNode, condition: CompiledExpression<boolean>, kind: "if" | "when" | "while", index?: number): [boolean | undefined, Promise<void> | undefined] {
  const scope = run.scope(frame, index);
  let result: boolean;
  try {
    result = condition.isCel ? condition.evaluate(scope) : Boolean(condition.evaluate(scope));
  } catch (error) {
    const info = toErrorInfo(error);
    return [undefined, failNode(run, frame, node, 1, { name: "ExpressionError", message: `${kind} ${JSON.stringify(condition.source)}: ${info.message}`, retryable: false })];
  }
  // Only the outputs the condition can have read: copying every finished step's output made each
  // evaluation O(steps so far), and a guarded chain quadratic (measured: 136 µs/step at 1,000 steps).
  const snapshot: Record<string, unknown> = { input: scope.input, steps: seenSteps(frame, node, condition), vars: { ...scope.vars } };
  if (scope.item !== undefined) snapshot.item = scope.item;
  if (scope.index !== undefined) snapshot.index = scope.index;
  const body: StepEventBody = { type: "condition.evaluated", conditionId: node.id, kind, expression: condition.source, result, scope: snapshot };
  return [result, run.emit(body, node, undefined, frame.path)];
}

/** What a condition saw of `steps`: the outputs a CEL expression names, or a function's node's needs. */
function seenSteps(frame: Frame, node: CompiledNode, condition: CompiledExpression<boolean>): Record<string, unknown> {
  const seen: Record<string, unknown> = {};
  const ids = condition.stepRefs ?? node.needs.map((index) => frame.graph.nodes[index]!.id);
  for (const id of ids) if (id in frame.steps) seen[id] = frame.steps[id];
  return seen;
}

/** Fails a node outside a handler (an expression error): step.failed, then the run fails. */
export async function failNode(run: RunHost, frame: Frame, node: CompiledNode, attempt: number, error: ErrorInfo, decision?: Decision): Promise<void> {
  if (run.stopped) return;
  const wait = run.emit({ type: "step.failed", error, durationMs: 0 }, node, attempt, frame.path);
  if (wait !== undefined) await wait;
  run.stop({ kind: "failed", error: new StepFailedError(run.runId, run.workflowName, node.id, attempt, error, decision, frame.path), ...(decision ? { decision } : {}) });
}

/** Emits a container node's start (its attempt is always 1). */
export function started(run: RunHost, frame: Frame, node: CompiledNode): Promise<void> | undefined {
  return run.emit({ type: "step.started" }, node, 1, frame.path);
}

/** Records a container node's output and emits its completion. */
export async function completed(run: RunHost, frame: Frame, node: CompiledNode, output: unknown, start: number): Promise<void> {
  frame.state[node.index] = DONE;
  frame.steps[node.id] = output;
  const wait = run.emit({ type: "step.completed", output, durationMs: elapsedMs(start) }, node, 1, frame.path);
  if (wait !== undefined) await wait;
}
