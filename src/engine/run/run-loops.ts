/**
 * Loops: foreach over a collection (with its own concurrency limit) and while (with a required
 * maximum). Each iteration runs the loop's body graph in a frame whose `path` ends with the
 * iteration index, so every event inside it says which iteration it belongs to.
 */
import { elapsedMs, now } from "../../common/index.js";
import type { CompiledNode } from "../define/graph-compile.js";
import { completed, evaluate, failNode, started } from "./node-events.js";
import { newFrame, type Frame } from "./run-frame.js";
import type { RunHost } from "./run-host.js";
import { runPool } from "./run-semaphore.js";
import { toErrorInfo } from "./run-errors.js";

/** Runs one iteration's body: the scheduler's `runGraph`, passed in so that loops do not import it back. */
export type RunBody = (run: RunHost, frame: Frame) => Promise<void>;

/** Runs a foreach or while node to its completion event (or until the run stops). */
export async function runLoop(run: RunHost, frame: Frame, node: CompiledNode, runBody: RunBody): Promise<void> {
  const start = now();
  const wait = started(run, frame, node);
  if (wait !== undefined) await wait;
  const outputs = node.kind === "foreach" ? await foreach(run, frame, node, runBody) : await whileLoop(run, frame, node, runBody);
  if (outputs === undefined || run.stopped) return;
  await completed(run, frame, node, outputs, start);
}

function childPath(frame: Frame, index: number): number[] {
  return frame.path === undefined ? [index] : [...frame.path, index];
}

async function foreach(run: RunHost, frame: Frame, node: CompiledNode, runBody: RunBody): Promise<unknown[] | undefined> {
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
  const start = now();
  const wait = run.emit({ type: "loop.started", loopId: node.id, kind: "foreach", total: list.length }, node, undefined, frame.path);
  if (wait !== undefined) await wait;
  const outputs: unknown[] = new Array<unknown>(list.length);
  const body = node.body!;
  // Parallel iterations: one failing can stop the run while another is still waited for.
  const parallel = node.concurrency > 1 && list.length > 1;
  const pool = (): Promise<void> =>
    runPool(
      list.length,
      node.concurrency,
      async (index) => {
        const path = childPath(frame, index);
        const item = list[index];
        const iteration = { type: "loop.iteration", loopId: node.id, iteration: item === undefined ? { index } : { index, item } };
        const held = run.gateFor(iteration, node, undefined, path);
        if (held !== undefined) await held;
        if (run.stopped) return;
        const started = run.emit(iteration, node, undefined, path);
        if (started !== undefined) await started;
        const child = newFrame(body, item, path, item, index);
        await runBody(run, child);
        if (!run.stopped) outputs[index] = run.outputOf(child);
      },
      () => run.stopped,
    );
  await (parallel ? run.branch(pool) : pool());
  if (run.stopped) return undefined;
  const done = run.emit({ type: "loop.completed", loopId: node.id, iterations: list.length, durationMs: elapsedMs(start) }, node, undefined, frame.path);
  if (done !== undefined) await done;
  return outputs;
}

async function whileLoop(run: RunHost, frame: Frame, node: CompiledNode, runBody: RunBody): Promise<unknown[] | undefined> {
  const start = now();
  const wait = run.emit({ type: "loop.started", loopId: node.id, kind: "while" }, node, undefined, frame.path);
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
    const iteration = { type: "loop.iteration", loopId: node.id, iteration: { index } };
    const held = run.gateFor(iteration, node, undefined, path);
    if (held !== undefined) await held;
    if (run.stopped) return undefined;
    const wait = run.emit(iteration, node, undefined, path);
    if (wait !== undefined) await wait;
    const child = newFrame(body, frame.input, path, undefined, index);
    await runBody(run, child);
    if (run.stopped) return undefined;
    outputs.push(run.outputOf(child));
  }
  const done = run.emit({ type: "loop.completed", loopId: node.id, iterations: outputs.length, durationMs: elapsedMs(start) }, node, undefined, frame.path);
  if (done !== undefined) await done;
  return outputs;
}
