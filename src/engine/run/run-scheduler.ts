/**
 * The wave scheduler: a graph runs in waves, each wave every node whose needs were met when the
 * previous one ended. Skips (a false guard, a branch not taken, nothing needed ran) and if-nodes
 * are decided here; steps and loops run in their own files.
 */
import { elapsedMs, now } from "../../common/index.js";
import type { CompiledExpression } from "../define/expression-compile.js";
import type { CompiledNode } from "../define/graph-compile.js";
import { completed, evaluate, evaluateNow, skip, started } from "./node-events.js";
import { DONE, SKIPPED, type Frame } from "./run-frame.js";
import type { RunHost } from "./run-host.js";
import { runLoop } from "./run-loops.js";
import { runStep } from "./step-runner.js";

/** Runs a graph in waves: each wave is every node whose needs were met when the last one ended. */
export async function runGraph(run: RunHost, frame: Frame): Promise<void> {
  const nodes = frame.graph.nodes;
  const remaining = frame.graph.indegree.slice();
  let ready = frame.graph.roots as readonly number[];
  const path = frame.path;
  for (let wave = 0; ready.length > 0; wave++) {
    if (run.stopped) return;
    const single = ready.length === 1;
    const stepIds = single ? [nodes[ready[0]!]!.id] : ready.map((i) => nodes[i]!.id);
    const begin = { type: "wave.started", wave, stepIds };
    // A suspended run starts no new wave (a resumed one re-enters the wave it was in).
    const held = run.gateFor(begin, undefined, undefined, path);
    if (held !== undefined) await held;
    if (run.stopped) return;
    let wait = run.emit(begin, undefined, undefined, path);
    if (wait !== undefined) await wait;
    const start = now();
    // A resumed run's finished nodes are put back at once: a wave of them awaits nothing.
    if (single) {
      if (!run.restored(frame, nodes[ready[0]!]!)) {
        const work = runNode(run, frame, ready[0]!);
        // Alone, with nothing else able to stop the run meanwhile, the step's own settling is enough.
        await (run.stoppableWhileWaiting() ? run.untilSettledOrStopped(work) : work);
      }
    } else {
      const live = ready.filter((i) => !run.restored(frame, nodes[i]!));
      if (live.length > 0) await run.branch(() => run.untilSettledOrStopped(Promise.all(live.map((i) => runNode(run, frame, i)))));
    }
    if (run.stopped) return;
    const ids = single ? [stepIds[0]!] : stepIds.slice();
    const durationMs = elapsedMs(start);
    wait = run.emit({ type: "wave.completed", wave, stepIds: ids, durationMs }, undefined, undefined, path);
    if (wait !== undefined) await wait;
    const next: number[] = [];
    for (const i of ready) for (const d of nodes[i]!.dependents) if (--remaining[d]! === 0) next.push(d);
    ready = next;
  }
}

/** Runs one node of a wave (one the trail had not finished: see `run.restored`). */
function runNode(run: RunHost, frame: Frame, i: number): Promise<void> {
  const node = frame.graph.nodes[i]!;
  const reason = skipReason(frame, node);
  if (reason !== undefined) return skip(run, frame, node, reason);
  if (node.when !== undefined) return runGuarded(run, frame, node, node.when);
  return runKind(run, frame, node);
}

function runGuarded(run: RunHost, frame: Frame, node: CompiledNode, when: CompiledExpression<boolean>): Promise<void> {
  // Synchronous unless the bus asks to wait, so a guard's events keep their place in the wave.
  const [pass, wait] = evaluateNow(run, frame, node, when, "when");
  if (wait !== undefined) return wait.then(() => afterGuard(run, frame, node, when, pass));
  return afterGuard(run, frame, node, when, pass);
}

function afterGuard(run: RunHost, frame: Frame, node: CompiledNode, when: CompiledExpression<boolean>, pass: boolean | undefined): Promise<void> {
  if (pass === undefined || run.stopped) return Promise.resolve();
  if (!pass) return skip(run, frame, node, `when ${JSON.stringify(when.source)} was false`);
  return runKind(run, frame, node);
}

function runKind(run: RunHost, frame: Frame, node: CompiledNode): Promise<void> {
  switch (node.kind) {
    case "step":
    case "workflow":
      return runStep(run, frame, node);
    case "if":
      return runIf(run, frame, node);
    case "foreach":
    case "while":
      return runLoop(run, frame, node, runGraph);
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

async function runIf(run: RunHost, frame: Frame, node: CompiledNode): Promise<void> {
  const start = now();
  const wait = started(run, frame, node);
  if (wait !== undefined) await wait;
  const result = await evaluate(run, frame, node, node.condition!, "if");
  if (result === undefined || run.stopped) return;
  if (!result && node.hasElse) {
    const body = { type: "condition.evaluated", conditionId: node.id, kind: "else", expression: `!(${node.condition!.source})`, result: true };
    const more = run.emit(body, node, undefined, frame.path);
    if (more !== undefined) await more;
  }
  await completed(run, frame, node, result, start);
}
