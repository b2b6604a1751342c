/**
 * One step's attempts: start, the before-step decision, the handler (with its timeout), then
 * completion, or failure and control's answer: retry, fallback or fail.
 */
import { elapsedMs, isThenable, now } from "../../common/index.js";
import type { ControlDecision } from "../../control/index.js";
import type { Decision, ErrorInfo, RuntrailEvent } from "../../events/index.js";
import type { CompiledNode } from "../define/graph-compile.js";
import { failNode } from "./node-events.js";
import { DONE, type Frame } from "./run-frame.js";
import { StepFailedError, StepTimeoutError, toErrorInfo } from "./run-errors.js";
import type { RunHost, RunnableWorkflow } from "./run-host.js";
import { decisionOf, StepContextImpl, type StepEventBody } from "./step-context.js";

export async function runStep(run: RunHost, frame: Frame, node: CompiledNode): Promise<void> {
  let input = frame.input;
  if (node.input !== undefined) {
    try {
      input = node.input.evaluate(run.scope(frame));
    } catch (error) {
      return failNode(run, frame, node, 1, { ...toErrorInfo(error), retryable: false });
    }
  }
  const semaphore = run.semaphore;
  for (let attempt = run.firstAttempt(node, frame.path); ; attempt++) {
    const started: StepEventBody = node.input === undefined ? { type: "step.started" } : { type: "step.started", input };
    if (!(await admit(run, started, node, attempt, frame.path))) return;
    const ctx = new StepContextImpl(run, node, frame, attempt, input);
    let wait = run.emit(started, node, attempt, frame.path);
    if (wait !== undefined) await wait;
    let timeoutMs = node.timeoutMs;
    if (run.steered) {
      const decision = await run.check("before-step", started as unknown as RuntrailEvent, node, attempt);
      if (run.stopped || decision.signal === "skip" || decision.signal === "fail") semaphore?.release();
      if (run.stopped) return;
      if (decision.signal === "skip") return controlSkip(run, frame, node, decision);
      if (decision.signal === "fail") {
        const error: ErrorInfo = { name: "ControlFailError", message: decision.reason, retryable: false };
        return failNode(run, frame, node, attempt, error, decisionOf(decision));
      }
      if (decision.signal === "suspend") {
        await run.suspendFor(decision);
        if (run.stopped) return semaphore?.release();
      }
      if (decision.signal === "proceed" && decision.timeoutMs !== undefined) timeoutMs = decision.timeoutMs;
    }
    // Only a stop from elsewhere (signal, timer, sibling) can abandon this attempt mid-flight.
    const tracked = run.stoppableWhileWaiting();
    if (tracked) run.track(ctx);
    const start = now();
    let output: unknown;
    let thrown: unknown;
    let failed = false;
    try {
      output = timeoutMs === undefined ? call(run, node, ctx) : callWithTimeout(run, node, ctx, timeoutMs);
      if (isThenable(output)) output = await output;
    } catch (error) {
      failed = true;
      thrown = error;
    }
    if (tracked) run.untrack(ctx);
    semaphore?.release();
    if (ctx.abandoned || run.stopped) return;
    const durationMs = elapsedMs(start);
    if (ctx.pending !== undefined) await ctx.pending;
    if (!failed) {
      frame.state[node.index] = DONE;
      frame.steps[node.id] = output;
      wait = run.emit(withReport(ctx, { type: "step.completed", output, durationMs }), node, attempt, frame.path);
      if (wait !== undefined) await wait;
      return;
    }
    const error = toErrorInfo(thrown);
    const failedBody = withReport(ctx, { type: "step.failed", error, durationMs });
    wait = run.emit(failedBody, node, attempt, frame.path);
    if (wait !== undefined) await wait;
    const decision = await run.check("after-step-failure", failedBody as unknown as RuntrailEvent, node, attempt, error);
    if (run.stopped) return;
    if (decision.signal === "retry") {
      const retrying = { type: "step.retrying", error, delayMs: decision.delayMs, nextAttempt: attempt + 1, decision: decisionOf(decision) };
      wait = run.emit(retrying, node, attempt, frame.path);
      if (wait !== undefined) await wait;
      await run.sleep(decision.delayMs);
      if (run.stopped) return;
      continue;
    }
    if (decision.signal === "fallback") {
      frame.state[node.index] = DONE;
      frame.steps[node.id] = decision.value;
      const body = { type: "step.completed", output: decision.value, durationMs, fallback: decisionOf(decision) };
      wait = run.emit(body, node, attempt, frame.path);
      if (wait !== undefined) await wait;
      return;
    }
    const by = decision.signal === "fail" ? decisionOf(decision) : undefined;
    const cause = thrown as { decision?: Decision } | undefined;
    const blame = by ?? (cause !== null && typeof cause === "object" ? cause.decision : undefined);
    run.stop({ kind: "failed", error: new StepFailedError(run.runId, run.workflowName, node.id, attempt, error, blame, frame.path), ...(by ? { decision: by } : {}) });
    return;
  }
}

/**
 * Waits until the attempt may start: the run not suspended (a resumed run's attempt that had
 * started goes straight on), then a concurrency slot. False when the run stopped meanwhile.
 */
async function admit(run: RunHost, started: StepEventBody, node: CompiledNode, attempt: number, path: readonly number[] | undefined): Promise<boolean> {
  const semaphore = run.semaphore;
  for (;;) {
    const held = run.gateFor(started, node, attempt, path);
    if (held !== undefined) await held;
    if (run.stopped) return false;
    if (semaphore === undefined) return true;
    const slot = semaphore.acquire();
    if (slot !== undefined) {
      // Time spent runnable but waiting for a slot is the attempt's queue time, told on step.started.
      const queued = now();
      await slot;
      const waited = elapsedMs(queued);
      started.queuedMs = typeof started.queuedMs === "number" ? started.queuedMs + waited : waited;
    }
    if (run.stopped) {
      semaphore.release();
      return false;
    }
    // Suspended while waiting for the slot: give it back and wait for the resume again.
    if (run.gateFor(started, node, attempt, path) === undefined) return true;
    semaphore.release();
  }
}

/** Adds the metrics and issues the attempt reported, if any, to its completion or failure. */
function withReport(ctx: StepContextImpl, body: StepEventBody): StepEventBody {
  const metrics = ctx.metricsIfAny;
  if (metrics !== undefined) body.metrics = metrics;
  const issues = ctx.issuesIfAny;
  if (issues !== undefined) body.issues = issues;
  return body;
}

async function controlSkip(run: RunHost, frame: Frame, node: CompiledNode, decision: ControlDecision & { signal: "skip" }): Promise<void> {
  frame.state[node.index] = DONE;
  frame.steps[node.id] = decision.value;
  const d = decisionOf(decision);
  const body: StepEventBody = { type: "step.skipped", reason: decision.reason ?? `skipped by control handler "${d.handler}"`, decision: d };
  if (decision.value !== undefined) body.output = decision.value;
  const wait = run.emit(body, node, undefined, frame.path);
  if (wait !== undefined) await wait;
}

function call(run: RunHost, node: CompiledNode, ctx: StepContextImpl): unknown {
  if (node.kind === "workflow") return runChild(run, node, ctx);
  return (node.handler as unknown as (ctx: StepContextImpl) => unknown)(ctx);
}

async function callWithTimeout(run: RunHost, node: CompiledNode, ctx: StepContextImpl, timeoutMs: number): Promise<unknown> {
  const controller = new AbortController();
  ctx.controller = controller;
  const runSignal = run.signal;
  const forward = (): void => controller.abort(runSignal.reason);
  runSignal.addEventListener("abort", forward, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new StepTimeoutError(node.id, timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => call(run, node, ctx)), timeout]);
  } finally {
    clearTimeout(timer);
    runSignal.removeEventListener("abort", forward);
  }
}

function runChild(run: RunHost, node: CompiledNode, ctx: StepContextImpl): Promise<unknown> {
  const path = ctx.frame.path;
  const parentStep = path === undefined ? { stepId: node.id, attempt: ctx.attempt } : { stepId: node.id, attempt: ctx.attempt, path };
  return run.child(node.workflow as unknown as RunnableWorkflow, ctx.input, ctx.signal, parentStep);
}
