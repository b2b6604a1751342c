/**
 * The wave scheduler: a graph runs in waves, each wave every node whose needs were met when the
 * previous one ended. Skips (a false guard, a branch not taken, nothing needed ran) and if-nodes
 * are decided here; steps and loops run in their own files.
 */
import type { Decision, ErrorInfo } from "../../events/index.js";
import type { CompiledExpression } from "../define/expression-compile.js";
import type { CompiledNode } from "../define/graph-compile.js";
import type { RunExecutor } from "./run-executor.js";
import { DONE, SKIPPED, type Frame } from "./run-frame.js";
import { StepFailedError, toErrorInfo } from "./run-errors.js";
import { runLoop } from "./run-loops.js";
import type { StepEventBody } from "./step-context.js";
import { runStep } from "./step-runner.js";

const now = (): number => performance.now();
const ms = (start: number): number => Math.round((performance.now() - start) * 1000) / 1000;

/** Runs a graph in waves: each wave is every node whose needs were met when the last one ended. */
export async function runGraph(run: RunExecutor, frame: Frame): Promise<void> {
  const nodes = frame.graph.nodes;
  const remaining = frame.graph.indegree.slice();
  let ready = frame.graph.roots as readonly number[];
  const path = frame.path;
  for (let wave = 0; ready.length > 0; wave++) {
    if (run.stopped) return;
    const single = ready.length === 1;
    const stepIds = single ? [nodes[ready[0]!]!.id] : ready.map((i) => nodes[i]!.id);
    let wait = run.emit(
      run.plain && path === undefined
        ? { type: "wave.started", runId: run.runId, accountId: run.accountId, workflow: run.workflowRef, wave, stepIds }
        : run.stamp({ type: "wave.started", wave, stepIds }, undefined, undefined, path),
    );
    if (wait !== undefined) await wait;
    const start = now();
    if (single) {
      const work = runNode(run, frame, ready[0]!);
      // Alone, with nothing else able to stop the run meanwhile, the step's own settling is enough.
      await (run.stoppableWhileWaiting() ? run.untilSettledOrStopped(work) : work);
    } else {
      run.branches++;
      try {
        await run.untilSettledOrStopped(Promise.all(ready.map((i) => runNode(run, frame, i))));
      } finally {
        run.branches--;
      }
    }
    if (run.stopped) return;
    const ids = single ? [stepIds[0]!] : stepIds.slice();
    const durationMs = ms(start);
    wait = run.emit(
      run.plain && path === undefined
        ? { type: "wave.completed", runId: run.runId, accountId: run.accountId, workflow: run.workflowRef, wave, stepIds: ids, durationMs }
        : run.stamp({ type: "wave.completed", wave, stepIds: ids, durationMs }, undefined, undefined, path),
    );
    if (wait !== undefined) await wait;
    const next: number[] = [];
    for (const i of ready) for (const d of nodes[i]!.dependents) if (--remaining[d]! === 0) next.push(d);
    ready = next;
  }
}

function runNode(run: RunExecutor, frame: Frame, i: number): Promise<void> {
  const node = frame.graph.nodes[i]!;
  const reason = skipReason(frame, node);
  if (reason !== undefined) return skip(run, frame, node, reason);
  if (node.when !== undefined) return runGuarded(run, frame, node, node.when);
  return runKind(run, frame, node);
}

function runGuarded(run: RunExecutor, frame: Frame, node: CompiledNode, when: CompiledExpression<boolean>): Promise<void> {
  // Synchronous unless the bus asks to wait, so a guard's events keep their place in the wave.
  const [pass, wait] = evaluateNow(run, frame, node, when, "when");
  if (wait !== undefined) return wait.then(() => afterGuard(run, frame, node, when, pass));
  return afterGuard(run, frame, node, when, pass);
}

function afterGuard(run: RunExecutor, frame: Frame, node: CompiledNode, when: CompiledExpression<boolean>, pass: boolean | undefined): Promise<void> {
  if (pass === undefined || run.stopped) return Promise.resolve();
  if (!pass) return skip(run, frame, node, `when ${JSON.stringify(when.source)} was false`);
  return runKind(run, frame, node);
}

function runKind(run: RunExecutor, frame: Frame, node: CompiledNode): Promise<void> {
  switch (node.kind) {
    case "step":
    case "workflow":
      return runStep(run, frame, node);
    case "if":
      return runIf(run, frame, node);
    case "foreach":
    case "while":
      return runLoop(run, frame, node);
  }
}

function skipReason(frame: Frame, node: CompiledNode): string | undefined {
  if (frame.skipped === 0 && !node.guarded) return undefined;
  for (const branch of node.branches) {
    const owner = frame.graph.nodes[branch.node]!.id;
    if (frame.state[branch.node] !== DONE) return `branch "${owner}" was skipped`;
    if (frame.steps[owner] !== branch.arm) return `branch not taken: "${owner}" was ${String(!branch.arm)}`;
  }
  const needs = node.needs;
  if (needs.length === 0) return undefined;
  for (const need of needs) if (frame.state[need] !== SKIPPED) return undefined;
  return `every step it needs was skipped (${needs.map((n) => `"${frame.graph.nodes[n]!.id}"`).join(", ")})`;
}

export function skip(run: RunExecutor, frame: Frame, node: CompiledNode, reason: string): Promise<void> {
  frame.state[node.index] = SKIPPED;
  frame.skipped++;
  return run.emit(run.stamp({ type: "step.skipped", reason }, node, undefined, frame.path)) ?? Promise.resolve();
}

/** Evaluates a condition and emits `condition.evaluated`; undefined when it threw (the run fails). */
export async function evaluate(run: RunExecutor, frame: Frame, node: CompiledNode, condition: CompiledExpression<boolean>, kind: "if" | "when" | "while", index?: number): Promise<boolean | undefined> {
  const [result, wait] = evaluateNow(run, frame, node, condition, kind, index);
  if (wait !== undefined) await wait;
  return result;
}

/** The condition's result now, and a promise to await before going on (backpressure, or a failure). */
export function evaluateNow(run: RunExecutor, frame: Frame, node: CompiledNode, condition: CompiledExpression<boolean>, kind: "if" | "when" | "while", index?: number): [boolean | undefined, Promise<void> | undefined] {
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
  return [result, run.emit(run.stamp(body, node, undefined, frame.path))];
}

/** What a condition saw of `steps`: the outputs a CEL expression names, or a function's node's needs. */
function seenSteps(frame: Frame, node: CompiledNode, condition: CompiledExpression<boolean>): Record<string, unknown> {
  const seen: Record<string, unknown> = {};
  const ids = condition.stepRefs ?? node.needs.map((index) => frame.graph.nodes[index]!.id);
  for (const id of ids) if (id in frame.steps) seen[id] = frame.steps[id];
  return seen;
}

/** Fails a node outside a handler (an expression error): step.failed, then the run fails. */
export async function failNode(run: RunExecutor, frame: Frame, node: CompiledNode, attempt: number, error: ErrorInfo, decision?: Decision): Promise<void> {
  if (run.stopped) return;
  const wait = run.emit(run.stamp({ type: "step.failed", error, durationMs: 0 }, node, attempt, frame.path));
  if (wait !== undefined) await wait;
  run.stop({ kind: "failed", error: new StepFailedError(run.runId, run.graph.name, node.id, attempt, error, decision, frame.path), ...(decision ? { decision } : {}) });
}

/** Emits a node's start and returns its start time. */
export function started(run: RunExecutor, frame: Frame, node: CompiledNode): Promise<void> | undefined {
  return run.emit(run.stamp({ type: "step.started" }, node, 1, frame.path));
}

/** Records a container node's output and emits its completion. */
export async function completed(run: RunExecutor, frame: Frame, node: CompiledNode, output: unknown, start: number): Promise<void> {
  frame.state[node.index] = DONE;
  frame.steps[node.id] = output;
  const wait = run.emit(run.stamp({ type: "step.completed", output, durationMs: ms(start) }, node, 1, frame.path));
  if (wait !== undefined) await wait;
}

async function runIf(run: RunExecutor, frame: Frame, node: CompiledNode): Promise<void> {
  const start = now();
  const wait = started(run, frame, node);
  if (wait !== undefined) await wait;
  const result = await evaluate(run, frame, node, node.condition!, "if");
  if (result === undefined || run.stopped) return;
  if (!result && node.hasElse) {
    const body = { type: "condition.evaluated", conditionId: node.id, kind: "else", expression: `!(${node.condition!.source})`, result: true };
    const more = run.emit(run.stamp(body, node, undefined, frame.path));
    if (more !== undefined) await more;
  }
  await completed(run, frame, node, result, start);
}
