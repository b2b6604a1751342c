/**
 * Loops: foreach over a collection (with its own concurrency limit) and while (with a required
 * maximum). Each iteration runs the loop's body graph in a frame whose `path` ends with the
 * iteration index, so every event inside it says which iteration it belongs to.
 */
import type { CompiledNode } from "../define/graph-compile.js";
import { newFrame, type Frame } from "./run-frame.js";
import type { RunExecutor } from "./run-executor.js";
import { completed, evaluate, failNode, runGraph, started } from "./run-scheduler.js";
import { runPool } from "./run-semaphore.js";
import { toErrorInfo } from "./run-errors.js";

const elapsed = (start: number): number => Math.round((performance.now() - start) * 1000) / 1000;

/** Emits without yielding unless the bus asks to wait, so an iteration's events stay together. */
function emit(run: RunExecutor, body: Parameters<RunExecutor["stamp"]>[0], node: CompiledNode, path: readonly number[] | undefined): Promise<void> | undefined {
  return run.emit(run.stamp(body, node, undefined, path));
}

/** Runs a foreach or while node to its completion event (or until the run stops). */
export async function runLoop(run: RunExecutor, frame: Frame, node: CompiledNode): Promise<void> {
  const start = performance.now();
  const wait = started(run, frame, node);
  if (wait !== undefined) await wait;
  const outputs = node.kind === "foreach" ? await foreach(run, frame, node) : await whileLoop(run, frame, node);
  if (outputs === undefined || run.stopped) return;
  await completed(run, frame, node, outputs, start);
}

function childPath(frame: Frame, index: number): number[] {
  return frame.path === undefined ? [index] : [...frame.path, index];
}

async function foreach(run: RunExecutor, frame: Frame, node: CompiledNode): Promise<unknown[] | undefined> {
  let items: unknown;
  try {
    items = node.items!.evaluate(run.scope(frame));
  } catch (error) {
    await failNode(run, frame, node, 1, { ...toErrorInfo(error), retryable: false });
    return undefined;
  }
  if (!Array.isArray(items)) {
    const got = items === null ? "null" : typeof items;
    await failNode(run, frame, node, 1, { name: "TypeError", message: `foreach ${JSON.stringify(node.items!.source)} gave ${got}, not a list`, retryable: false });
    return undefined;
  }
  const list: readonly unknown[] = items;
  const start = performance.now();
  const wait = emit(run, { type: "loop.started", loopId: node.id, kind: "foreach", total: list.length }, node, frame.path);
  if (wait !== undefined) await wait;
  const outputs: unknown[] = new Array<unknown>(list.length);
  const body = node.body!;
  // Parallel iterations: one failing can stop the run while another is still waited for.
  const parallel = node.concurrency > 1 && list.length > 1;
  if (parallel) run.branches++;
  try {
    await runPool(
      list.length,
      node.concurrency,
      async (index) => {
        const path = childPath(frame, index);
        const item = list[index];
        const started = emit(run, { type: "loop.iteration", loopId: node.id, iteration: item === undefined ? { index } : { index, item } }, node, path);
        if (started !== undefined) await started;
        const child = newFrame(body, item, path, item, index);
        await runGraph(run, child);
        if (!run.stopped) outputs[index] = run.outputOf(child);
      },
      () => run.stopped,
    );
  } finally {
    if (parallel) run.branches--;
  }
  if (run.stopped) return undefined;
  const done = emit(run, { type: "loop.completed", loopId: node.id, iterations: list.length, durationMs: elapsed(start) }, node, frame.path);
  if (done !== undefined) await done;
  return outputs;
}

async function whileLoop(run: RunExecutor, frame: Frame, node: CompiledNode): Promise<unknown[] | undefined> {
  const start = performance.now();
  const wait = emit(run, { type: "loop.started", loopId: node.id, kind: "while" }, node, frame.path);
  if (wait !== undefined) await wait;
  const outputs: unknown[] = [];
  const body = node.body!;
  for (let index = 0; ; index++) {
    const pass = await evaluate(run, frame, node, node.condition!, "while", index);
    if (pass === undefined || run.stopped) return undefined;
    if (!pass) break;
    if (index >= node.max) {
      await failNode(run, frame, node, 1, {
        name: "LoopLimitError",
        message: `while loop "${node.id}" reached its max of ${node.max} iterations and its condition ${JSON.stringify(node.condition!.source)} still holds`,
        retryable: false,
      });
      return undefined;
    }
    const path = childPath(frame, index);
    const wait = emit(run, { type: "loop.iteration", loopId: node.id, iteration: { index } }, node, path);
    if (wait !== undefined) await wait;
    const child = newFrame(body, frame.input, path, undefined, index);
    await runGraph(run, child);
    if (run.stopped) return undefined;
    outputs.push(run.outputOf(child));
  }
  const done = emit(run, { type: "loop.completed", loopId: node.id, iterations: outputs.length, durationMs: elapsed(start) }, node, frame.path);
  if (done !== undefined) await done;
  return outputs;
}
