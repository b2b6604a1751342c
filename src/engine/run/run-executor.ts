/**
 * One run of a workflow: emits its trail through the bus, schedules the graph in waves, asks
 * control at each decision point, and ends with exactly one terminal event.
 */
import type { EventBus } from "../../bus/index.js";
import { abortableSleep, elapsedMs, now } from "../../common/index.js";
import type { ControlContext, ControlDecision, ControlPort, DecisionPoint, Suspend } from "../../control/index.js";
import type { Decision, ErrorInfo, EventInput, Progress, RuntrailEvent, WorkflowRef } from "../../events/index.js";
import { payloadSchemaJson } from "../../events/index.js";
import { NO_PROGRESS, reduceProgress } from "../../projections/index.js";
import type { ExpressionScope, WaitOptions } from "../define/definition-types.js";
import type { CompiledGraph, CompiledNode } from "../define/graph-compile.js";
import { graphDefinition } from "../define/graph-definition.js";
import { DONE, newFrame, SKIPPED, type Frame } from "./run-frame.js";
import { RunGate } from "./run-gate.js";
import { subRunId, type RunRestore, type StoredWait } from "./run-restore.js";
import { RunSignals, type SignalHost } from "./run-signals.js";
import { cancelRestoredRuns } from "./sub-run-end.js";
import { onRunTransitions, recordRun } from "./run-consumers.js";
import { RunCancelledError, RunFailedError, RunTimeoutError, RunVetoedError, StepFailedError, toErrorInfo, type RunError } from "./run-errors.js";
import type { ParentStep, RunHost, RunnableWorkflow } from "./run-host.js";
import type { RunOutcome } from "./run-outcome.js";
import { runGraph } from "./run-scheduler.js";
import { Semaphore } from "./run-semaphore.js";
import { runControl } from "./step-control.js";
import { decisionOf, type StepContextImpl, type StepEventBody } from "./step-context.js";
import { traceOf, type RunTrace } from "./run-trace.js";

/**
 * Options of a run.
 * @example
 * await wf.run(input, { accountId: "acme", timeoutMs: 60_000, bus, control, onError: (e) => log(e) })
 */
export interface RunOptions {
  /** The tenant; default `"default"`. */
  accountId?: string;
  /** Default: a random UUID. */
  runId?: string;
  /** Aborting it cancels the run: no more scheduling, running steps see `ctx.signal` abort, `run.cancelled`. */
  signal?: AbortSignal;
  /** The whole run fails with `RunTimeoutError` after this long. */
  timeoutMs?: number;
  /** Called with every step and run lifecycle event (seed 000's onTransition). */
  onTransition?: (event: RuntrailEvent) => void;
  /** Called once when the run fails or is cancelled. */
  onError?: (error: RunError) => void;
  /** Called once with the output when the run completes. */
  onComplete?: (output: unknown) => void;
  /** The bus to emit into. Default: the workflow's own bus. */
  bus?: EventBus;
  /** Asked at every decision point (before the run, before each step, after failures). */
  control?: ControlPort;
  /** Most step handlers running at once; overrides the definition's. */
  concurrency?: number;
  /** Set by the engine on sub-workflow runs. */
  parentRunId?: string;
  /** Set by the engine on sub-workflow runs: which attempt of which step of the parent started it. */
  parentStep?: ParentStep;
  /**
   * The W3C `traceparent` the run was started with (e.g. an incoming request's header): the run
   * belongs to that trace, and every event of it carries its `traceId` and `spanId`. A malformed
   * one throws `TraceparentError`. Give this or `traceId`/`spanId`, not both.
   */
  traceparent?: string;
  /** The trace the run belongs to (32 lowercase hex), carried by every event of it. */
  traceId?: string;
  /**
   * The span the run's events belong under (16 lowercase hex; needs `traceId`): the span the
   * run was started from, or the run's own span when a tracer made it first (`exporter.runOptions`).
   */
  spanId?: string;
}

const PROCEED: ControlDecision = { signal: "proceed" };

function newRunId(): string {
  return globalThis.crypto.randomUUID();
}

export class RunExecutor implements RunHost, SignalHost {
  readonly runId: string;
  readonly accountId: string;
  readonly workflowRef: WorkflowRef;
  /** The run's events, kept only when something reads them (a run handle, control's context). */
  readonly history: RuntrailEvent[] = [];
  readonly workflowName: string;
  readonly steered: boolean;
  /** What decision points ask: the caller's control and the graph's step retry policies. */
  private readonly control: ControlPort | undefined;
  readonly varValues: Record<string, unknown> = {};
  readonly result: Promise<unknown>;
  progress: Progress = NO_PROGRESS;
  stopped = false;
  /** Closed while the run is suspended: nothing new starts. */
  readonly gate = new RunGate();
  /** The steps' open waits and the signals that end them. */
  readonly signals: RunSignals;
  /** Sub-workflow runs in progress: a signal the run does not wait for itself may be theirs. */
  private readonly children = new Set<RunExecutor>();
  /** For a sub-workflow run: the run whose step started it, told of its waits. */
  private parentRun: RunExecutor | undefined;
  /** Gate holds for waits open in each sub-workflow run (or below it), by that child's run id. */
  private readonly subHolds = new Map<string, number>();
  /**
   * A resumed run's sub-workflow runs that had not ended, until its re-entered steps take them
   * back (`child`), and the promise a signal for one of them waits on meanwhile.
   */
  private readonly pendingSubs = new Map<string, RunRestore>();
  private subsBack: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;
  /** The run stopped before taking back some of them: their trails being closed. */
  private subsClosing: Promise<void> | undefined;
  /** The trace every event of the run carries, if any. */
  readonly trace: RunTrace | undefined;

  /** @internal */
  readonly graph: CompiledGraph;
  private readonly controller = new AbortController();
  /** @internal */
  readonly semaphore: Semaphore | undefined;
  /** Attempts a stop from elsewhere may abandon. */
  private readonly inflight = new Set<StepContextImpl>();
  /** Parallel waves and foreach pools in progress: while any runs, a sibling can stop the run. */
  private branches = 0;
  /** Waves being waited for; released at once when the run stops. */
  private readonly waiters = new Set<() => void>();
  private resolveResult!: (output: unknown) => void;
  private rejectResult!: (error: unknown) => void;
  private terminal: Promise<void> | undefined;
  private startedAt = 0;
  private calls = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort = (): void => {
    const reason = this.options.signal?.reason;
    const text = reason instanceof Error ? reason.message : reason === undefined ? "aborted" : String(reason);
    this.stop({ kind: "cancelled", error: new RunCancelledError(this.runId, this.graph.name, text) });
  };

  constructor(
    workflow: RunnableWorkflow,
    private readonly input: unknown,
    /** @internal */
    readonly options: RunOptions,
    /** @internal */
    readonly bus: EventBus,
    keepHistory = false,
    /** Set when the run goes on from its stored trail (`resumeRun`): what it had done. */
    readonly restore: RunRestore | undefined = undefined,
  ) {
    // First: a malformed trace context throws before the run subscribes to anything.
    this.trace = traceOf(options);
    this.graph = workflow.graph;
    this.workflowName = this.graph.name;
    this.steered = options.control !== undefined;
    this.control = runControl(options.control, this.graph);
    this.runId = restore?.runId ?? options.runId ?? newRunId();
    this.accountId = restore?.accountId ?? options.accountId ?? "default";
    this.signals = new RunSignals(this);
    if (restore !== undefined) {
      Object.assign(this.varValues, restore.vars);
      this.progress = restore.progress;
      // The seq goes on from the trail's last one: no gap, no duplicate.
      bus.resumeRun(this.runId, restore.lastSeq);
      for (const [runId, sub] of restore.subRuns()) this.pendingSubs.set(runId, sub);
      if (this.pendingSubs.size > 0) {
        let resolve!: () => void;
        const promise = new Promise<void>((done) => (resolve = done));
        this.subsBack = { promise, resolve };
      }
    }
    this.workflowRef = this.graph.ref;
    const limit = options.concurrency ?? this.graph.concurrency;
    this.semaphore = Number.isFinite(limit) ? new Semaphore(limit) : undefined;
    this.result = new Promise((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // A caller that only reads events must not crash the process with an unhandled rejection.
    this.result.catch(() => undefined);
    if (keepHistory || this.steered) recordRun(bus, this.runId, this.history);
    if (options.onTransition !== undefined) onRunTransitions(bus, this.runId, options.onTransition);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  // ---- emitting -------------------------------------------------------------------------------

  /**
   * Adds the envelope to `body` in place and emits it through the bus, which stamps id, seq and
   * ts: the one place a run's events are made. Keeps progress current (`progress.updated` follows
   * each real change of a top-level step).
   */
  emit(body: StepEventBody, node?: CompiledNode, attempt?: number, path?: readonly number[]): Promise<void> | undefined {
    body.runId = this.runId;
    body.accountId = this.accountId;
    body.workflow = this.workflowRef;
    const { parentRunId, parentStep } = this.options;
    if (parentRunId !== undefined) body.parentRunId = parentRunId;
    if (parentStep !== undefined) {
      body.parentStepId = parentStep.stepId;
      body.parentAttempt = parentStep.attempt;
      if (parentStep.path !== undefined) body.parentPath = parentStep.path;
    }
    if (this.trace !== undefined) {
      body.traceId = this.trace.traceId;
      if (this.trace.spanId !== undefined) body.spanId = this.trace.spanId;
    }
    if (node !== undefined) {
      body.stepId = node.id;
      if (node.tag !== undefined) body.tag = node.tag;
      if (node.key !== undefined) body.stepKey = node.key;
    }
    if (attempt !== undefined) body.attempt = attempt;
    if (path !== undefined) body.path = path;
    // Going on from the trail: where the run had already got to is written once.
    if (this.restore !== undefined && this.restore.replay(body)) return undefined;
    const wait = this.bus.emit(body as unknown as EventInput);
    const event = body as unknown as RuntrailEvent;
    if (event.type === "run.started") {
      // The total is on run.started itself; progress.updated follows real changes only.
      this.progress = reduceProgress(this.progress, event);
      return wait;
    }
    if (node === undefined || path !== undefined) return wait;
    const progress = reduceProgress(this.progress, event);
    if (progress === this.progress) return wait;
    this.progress = progress;
    const more = this.emit({ type: "progress.updated", progress });
    return more === undefined ? wait : wait === undefined ? more : wait.then(() => more);
  }

  emitForStep(ctx: StepContextImpl, body: StepEventBody): Promise<void> | undefined {
    // An abandoned attempt's late calls come after the run's terminal event: the trail is closed.
    if (ctx.abandoned) return undefined;
    return this.emit(body, ctx.node, ctx.attempt, ctx.frame.path);
  }

  nextCallId(): string {
    return `${this.runId}:call-${++this.calls}`;
  }

  emitAt(body: StepEventBody, stepId?: string, attempt?: number, path?: readonly number[]): Promise<void> {
    if (stepId !== undefined) body.stepId = stepId;
    return this.emit(body, undefined, attempt, path) ?? Promise.resolve();
  }

  // ---- suspension -------------------------------------------------------------------------------

  /**
   * What to await before writing `body`, a start (a wave, a step's attempt, a loop iteration):
   * undefined while the run is not suspended, or when the trail already has it (a resumed run
   * re-entering where it was).
   */
  gateFor(body: StepEventBody, node?: CompiledNode, attempt?: number, path?: readonly number[]): Promise<void> | undefined {
    const held = this.gate.whenOpen;
    if (held === undefined || this.restore === undefined) return held;
    const probe: StepEventBody = { ...body };
    if (node !== undefined) probe.stepId = node.id;
    if (attempt !== undefined) probe.attempt = attempt;
    if (path !== undefined) probe.path = path;
    return this.restore.written(probe) ? undefined : held;
  }

  /** Pauses the run: `run.suspended` with the reason and who asked. False when paused already or ended. */
  suspend(reason: string | undefined, by: string, decision?: Decision): boolean {
    if (this.stopped || !this.gate.pause()) return false;
    const body: StepEventBody = { type: "run.suspended", by };
    if (reason !== undefined) body.reason = reason;
    if (decision !== undefined) body.decision = decision;
    void this.emit(body);
    return true;
  }

  /** Ends a pause: `run.resumed`, then what waited starts. False when not paused or ended. */
  resume(by: string, reason?: string): boolean {
    if (this.stopped || !this.gate.isPaused) return false;
    const body: StepEventBody = { type: "run.resumed", by };
    if (reason !== undefined) body.reason = reason;
    void this.emit(body);
    this.gate.unpause();
    // Waits still hold the run: say so, or the fold would read running while no step can start.
    if (this.gate.isHeld) void this.signals.stillWaiting(`the pause ended (by ${by})`);
    return true;
  }

  /** A control handler answered `suspend` before a step: pause (unless paused), then wait for the resume. */
  async suspendFor(decision: Suspend & { readonly handler?: string }): Promise<void> {
    const d = decisionOf(decision);
    this.suspend(decision.reason, `control:${d.handler}`, d);
    const held = this.gate.whenOpen;
    if (held !== undefined) await held;
  }

  /** Delivers a signal to the step waiting for `name`: this run's, else a sub-workflow run's. */
  async deliver(name: string, payload: unknown, by: string): Promise<void> {
    if (!this.signals.waitingFor().includes(name)) {
      // Resumed: the sub-workflow runs come back as the steps that started them are re-entered.
      if (this.subsBack !== undefined) await this.subsBack.promise;
      for (const child of this.children) if (child.waitingFor().includes(name)) return child.deliver(name, payload, by);
    }
    return this.signals.signal(name, payload, by);
  }

  /** The signals this run and its sub-workflow runs wait for, oldest first. */
  waitingFor(): string[] {
    const names = this.signals.waitingFor();
    for (const child of this.children) names.push(...child.waitingFor());
    for (const sub of this.pendingSubs.values()) {
      for (const wait of sub.openWaits().values()) names.push(wait.name);
      for (const wait of sub.subWaits()) names.push(wait.name);
    }
    return names;
  }

  /**
   * A step of this run (`runId` its own) or of a sub-workflow run below it (`runId` that run's)
   * opened a wait: each run above it suspends too (`run.suspended` naming the run that waits in `wait.runId`), so
   * the store shows the whole tree suspended and the top run is the one a process resumes.
   */
  async waitOpened(wait: StoredWait, runId = this.runId): Promise<void> {
    await this.parentRun?.subWaitOpened(this.runId, runId, wait);
  }

  /** The wait `waitOpened` told of ended (a signal or its timeout): the runs above go on. */
  async waitClosed(wait: StoredWait, why: string, by: string, runId = this.runId): Promise<void> {
    await this.parentRun?.subWaitClosed(this.runId, runId, wait, why, by);
  }

  private async subWaitOpened(childId: string, runId: string, wait: StoredWait): Promise<void> {
    if (this.stopped) return;
    this.subHolds.set(childId, (this.subHolds.get(childId) ?? 0) + 1);
    this.gate.hold();
    const info: Record<string, unknown> = { stepId: wait.stepId, attempt: wait.attempt, index: wait.index, onTimeout: wait.onTimeout, runId };
    if (wait.path !== undefined) info.path = wait.path;
    if (wait.timeoutMs !== undefined) info.timeoutMs = wait.timeoutMs;
    if (wait.deadline !== undefined) info.deadline = wait.deadline;
    if (wait.schema !== undefined) info.schema = wait.schema;
    const reason = `step "${wait.stepId}" of sub-workflow run "${runId}" waits for signal "${wait.name}"`;
    await this.emitAt({ type: "run.suspended", reason, by: `run:${runId}`, waitingFor: wait.name, wait: info });
    await this.waitOpened(wait, runId);
  }

  private async subWaitClosed(childId: string, runId: string, wait: StoredWait, why: string, by: string): Promise<void> {
    const held = this.subHolds.get(childId) ?? 0;
    if (this.stopped || held === 0) return;
    this.subHolds.set(childId, held - 1);
    // As for a wait of its own: resumed only when nothing else holds this run.
    if (this.gate.opensOnRelease) await this.emitAt({ type: "run.resumed", reason: `${why} (sub-workflow run "${runId}")`, by, signal: wait.name });
    else await this.signals.stillWaiting(`${why} (sub-workflow run "${runId}")`);
    this.gate.release();
    await this.waitClosed(wait, why, by, runId);
  }

  /** A sub-workflow run ended: waits of it still counted (it stopped while waiting) no longer hold this run. */
  private async subRunEnded(childId: string): Promise<void> {
    const held = this.subHolds.get(childId) ?? 0;
    this.subHolds.delete(childId);
    if (held === 0 || this.stopped) return;
    await this.emitAt({ type: "run.resumed", reason: `sub-workflow run "${childId}" ended while waiting`, by: `run:${childId}` });
    for (let i = 0; i < held; i++) this.gate.release();
  }

  waitFor(ctx: StepContextImpl, name: string, options: WaitOptions<unknown>): Promise<unknown> {
    if (typeof name !== "string" || name.length === 0) return Promise.reject(new TypeError(`ctx.waitFor: the signal name must be a non-empty string (step "${ctx.node.id}")`));
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && !(timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
      return Promise.reject(new RangeError(`ctx.waitFor("${name}"): timeoutMs must be a finite number >= 0, got ${String(timeoutMs)} (step "${ctx.node.id}")`));
    }
    let schema: unknown;
    try {
      schema = options.schema === undefined ? undefined : payloadSchemaJson(options.schema);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.signals.wait({
      name,
      stepId: ctx.node.id,
      attempt: ctx.attempt,
      index: ctx.nextWaitIndex(),
      onTimeout: options.onTimeout ?? "fail",
      ...(ctx.frame.path === undefined ? {} : { path: ctx.frame.path }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(schema === undefined ? {} : { schema }),
      ...(options.timeoutValue === undefined ? {} : { timeoutValue: options.timeoutValue }),
    });
  }

  /** A resumed run's finished node: its output (or skip) put back in the frame, nothing written. */
  restored(frame: Frame, node: CompiledNode): boolean {
    const final = this.restore?.final(node.id, frame.path);
    if (final === undefined) return false;
    if (final.kind === "done") {
      frame.state[node.index] = DONE;
      frame.steps[node.id] = final.output;
    } else {
      frame.state[node.index] = SKIPPED;
      frame.skipped++;
    }
    return true;
  }

  /** The attempt a step starts at: 1, or for a resumed run the one it was in. */
  firstAttempt(node: CompiledNode, path: readonly number[] | undefined): number {
    return this.restore?.attemptOf(node.id, path) ?? 1;
  }

  // ---- the run ----------------------------------------------------------------------------------

  /** Runs to the end. Never rejects: the outcome is in {@link result} and in the trail. */
  async execute(): Promise<void> {
    if (this.restore !== undefined) return this.executeFromTrail(this.restore);
    try {
      this.startedAt = now();
      const started: StepEventBody = { type: "run.started", totalSteps: this.graph.nodes.length, graph: graphDefinition(this.graph) };
      if (this.input !== undefined) started.input = this.input;
      const wait = this.emit(started);
      if (wait !== undefined) await wait;
      this.arm();
      if (!this.stopped && this.options.control !== undefined) {
        const decision = await this.ask("before-run", started as unknown as RuntrailEvent, undefined, 1);
        if (!this.stopped && decision.signal === "skip") {
          this.stop({ kind: "completed", output: decision.value, decision: decisionOf(decision) });
        } else if (!this.stopped && decision.signal === "fail") {
          this.stop({ kind: "failed", error: new RunVetoedError(this.runId, this.graph.name, decisionOf(decision)), decision: decisionOf(decision) });
        }
      }
      if (!this.stopped && this.graph.vars !== undefined) {
        for (const [name, value] of Object.entries(this.graph.vars)) {
          this.varValues[name] = value;
          const pending = this.emit({ type: "variable.changed", variable: { name, new: value } });
          if (pending !== undefined) await pending;
        }
      }
      if (!this.stopped) {
        const frame = newFrame(this.graph, this.input, undefined);
        await runGraph(this, frame);
        if (!this.stopped) this.stop({ kind: "completed", output: this.outputOf(frame) });
      }
    } catch (error) {
      this.stop({ kind: "failed", error: new RunFailedError(this.runId, this.graph.name, toErrorInfo(error)) });
    }
    await this.terminal;
  }

  /** Listens for cancellation and starts the run's timeout. */
  private arm(): void {
    const signal = this.options.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.onAbort();
      else signal.addEventListener("abort", this.onAbort, { once: true });
    }
    if (this.options.timeoutMs !== undefined && !this.stopped) {
      const timeoutMs = this.options.timeoutMs;
      this.timer = setTimeout(() => this.stop({ kind: "failed", error: new RunTimeoutError(this.runId, this.graph.name, timeoutMs) }), timeoutMs);
    }
  }

  /**
   * Goes on from the trail: nothing of the start is written again; the graph runs from the top,
   * its finished nodes restored, and the waits the trail ends with open again.
   */
  private async executeFromTrail(restore: RunRestore): Promise<void> {
    try {
      // The duration on the terminal event counts from run.started, in whichever process that was.
      this.startedAt = now() - Math.max(0, Date.now() - restore.startedTs);
      this.arm();
      if (restore.paused) this.gate.pause();
      this.signals.restoreOpen(restore.openWaits());
      // The waits open in its sub-workflow runs hold it as they did (its trail says suspended).
      for (const [runId, sub] of this.pendingSubs) {
        const held = sub.openWaits().size + sub.subWaits().length;
        if (held === 0) continue;
        this.subHolds.set(runId, held);
        for (let i = 0; i < held; i++) this.gate.hold();
      }
      if (!this.stopped) {
        const frame = newFrame(this.graph, restore.input, undefined);
        await runGraph(this, frame);
        if (!this.stopped) this.stop({ kind: "completed", output: this.outputOf(frame) });
      }
    } catch (error) {
      this.stop({ kind: "failed", error: new RunFailedError(this.runId, this.graph.name, toErrorInfo(error)) });
    }
    await this.terminal;
  }

  /** Ends the run once: aborts what runs, releases waiting waves, then writes the terminal event. */
  stop(outcome: RunOutcome): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.options.signal?.removeEventListener("abort", this.onAbort);
    if (outcome.kind !== "completed") this.controller.abort(outcome.error);
    this.signals.close(outcome.kind === "completed" ? new Error("the run ended") : outcome.error);
    this.gate.dispose();
    if (this.pendingSubs.size > 0) {
      const why = outcome.kind === "completed" ? "the run ended" : outcome.kind === "cancelled" ? outcome.error.reason : outcome.error.message;
      this.subsClosing = cancelRestoredRuns(this.bus, [...this.pendingSubs.values()], why);
      this.pendingSubs.clear();
    }
    this.subsBack?.resolve();
    for (const release of this.waiters) release();
    this.waiters.clear();
    this.terminal = this.finish(outcome);
  }

  private async finish(outcome: RunOutcome): Promise<void> {
    try {
      // Its sub-workflow runs end before it, as a live run's children do.
      if (this.subsClosing !== undefined) await this.subsClosing;
      if (this.inflight.size > 0) {
        const reason = outcome.kind === "completed" ? "the run ended" : outcome.error.message;
        for (const ctx of this.inflight) {
          ctx.abandoned = true;
          const error: ErrorInfo = { name: "AbortError", message: `step "${ctx.node.id}" was abandoned: ${reason}`, retryable: false };
          const wait = this.emit({ type: "step.failed", error, durationMs: 0 }, ctx.node, ctx.attempt, ctx.frame.path);
          if (wait !== undefined) await wait;
        }
        this.inflight.clear();
      }
      const durationMs = elapsedMs(this.startedAt);
      let body: StepEventBody;
      if (outcome.kind === "completed") {
        body = { type: "run.completed", output: outcome.output, durationMs };
        if (outcome.decision !== undefined) body.decision = outcome.decision;
      } else if (outcome.kind === "failed") {
        const { stack: _stack, ...error } = toErrorInfo(outcome.error);
        body = { type: "run.failed", error, durationMs };
        if (outcome.decision !== undefined) body.decision = outcome.decision;
        const failed = outcome.error;
        if (failed instanceof StepFailedError) {
          body.failedStep = failed.path === undefined ? { stepId: failed.stepId, attempt: failed.attempt } : { stepId: failed.stepId, attempt: failed.attempt, path: failed.path };
        }
      } else {
        body = { type: "run.cancelled", reason: outcome.error.reason, durationMs };
      }
      const wait = this.emit(body);
      if (wait !== undefined) await wait;
    } catch (error) {
      this.rejectResult(error);
      return;
    }
    if (outcome.kind === "completed") {
      callSafely(this.options.onComplete, outcome.output);
      this.resolveResult(outcome.output);
    } else {
      callSafely(this.options.onError, outcome.error);
      this.rejectResult(outcome.error);
    }
  }

  outputOf(frame: Frame): unknown {
    const graph = frame.graph;
    if (graph.output !== undefined) return graph.output.evaluate(this.scope(frame));
    const last = graph.nodes[graph.nodes.length - 1];
    return last === undefined ? undefined : frame.steps[last.id];
  }

  scope(frame: Frame, index = frame.index): ExpressionScope {
    return { input: frame.input, steps: frame.steps, vars: this.varValues, item: frame.item, index };
  }

  async branch<T>(work: () => Promise<T>): Promise<T> {
    this.branches++;
    try {
      return await work();
    } finally {
      this.branches--;
    }
  }

  track(ctx: StepContextImpl): void {
    this.inflight.add(ctx);
  }

  untrack(ctx: StepContextImpl): void {
    this.inflight.delete(ctx);
  }

  /** Whether something other than the awaited step could stop the run: a signal, a timer, a sibling. */
  stoppableWhileWaiting(): boolean {
    return this.branches > 0 || this.options.signal !== undefined || this.options.timeoutMs !== undefined;
  }

  /**
   * Waits for a wave, or less if the run stops: a step that ignores its signal must not hold a
   * stopped run open. (Not Promise.race on one shared promise: that would pile up a reaction per
   * wave for the run's whole life.)
   */
  untilSettledOrStopped(work: Promise<unknown>): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.add(resolve);
      work.then(
        () => {
          this.waiters.delete(resolve);
          resolve();
        },
        (error: unknown) => {
          this.waiters.delete(resolve);
          reject(error);
        },
      );
    });
  }

  /**
   * Starts a sub-workflow run on the same bus: its own runId (derived from this run's and the
   * step attempt, see `subRunId`) and seq, this run and the step attempt that started it as its
   * parent, in this run's trace. A resumed run's step takes back the child it had started: one
   * still going on goes on from its trail, one that had ended gives its result.
   */
  child(workflow: RunnableWorkflow, input: unknown, signal: AbortSignal, parentStep: ParentStep): Promise<unknown> {
    const runId = subRunId(this.runId, parentStep);
    const ended = this.restore?.subEnded(runId);
    if (ended !== undefined) return endedResult(ended, workflow.name);
    const restore = this.pendingSubs.get(runId);
    if (restore !== undefined) {
      this.pendingSubs.delete(runId);
      if (this.pendingSubs.size === 0) this.subsBack?.resolve();
    }
    const options: RunOptions = {
      runId,
      accountId: this.accountId,
      parentRunId: this.runId,
      parentStep,
      signal,
      bus: this.bus,
      ...(this.options.control === undefined ? {} : { control: this.options.control }),
      ...(this.trace === undefined ? {} : this.trace),
    };
    workflow.watch(this.bus);
    const executor = new RunExecutor(workflow, input, options, this.bus, false, restore);
    executor.parentRun = this;
    this.children.add(executor);
    void executor
      .execute()
      .finally(() => {
        this.children.delete(executor);
        return this.subRunEnded(runId);
      })
      .catch((error: unknown) => warn("a sub-workflow run's end could not be written to its parent", error));
    return executor.result;
  }

  // ---- control --------------------------------------------------------------------------------

  check(point: DecisionPoint, event: RuntrailEvent, node: CompiledNode, attempt: number, error?: ErrorInfo): Promise<ControlDecision> {
    return this.ask(point, event, node, attempt, error);
  }

  /** Asks control (the step retry policies among its handlers). A throwing control fails the run. */
  private async ask(point: DecisionPoint, event: RuntrailEvent, node: CompiledNode | undefined, attempt: number, error?: ErrorInfo, stepId = node?.id): Promise<ControlDecision> {
    const ctx: ControlContext = {
      point,
      runId: this.runId,
      accountId: this.accountId,
      workflow: this.workflowRef,
      attempt,
      history: this.history,
      ...(stepId === undefined ? {} : { stepId }),
      ...(error === undefined ? {} : { error }),
    };
    try {
      return this.control === undefined ? PROCEED : await this.control.check(event, ctx);
    } catch (thrown) {
      const info = toErrorInfo(thrown);
      this.stop({ kind: "failed", error: new RunFailedError(this.runId, this.graph.name, { ...info, message: `control failed at ${point}: ${info.message}` }) });
      return PROCEED;
    }
  }

  decide(point: DecisionPoint, event: RuntrailEvent, stepId: string, attempt: number, error: ErrorInfo): Promise<ControlDecision> {
    return this.ask(point, event, undefined, attempt, error, stepId);
  }

  /** Waits `delayMs`, or until the run stops. */
  sleep(delayMs: number): Promise<void> {
    if (!(delayMs > 0) || this.stopped) return Promise.resolve();
    return abortableSleep(delayMs, this.signal);
  }
}

/** The result a sub-workflow run that had ended gave: its output, or its error. */
function endedResult(event: RuntrailEvent, name: string): Promise<unknown> {
  switch (event.type) {
    case "run.completed":
      return Promise.resolve(event.output);
    case "run.failed":
      return Promise.reject(new RunFailedError(event.runId, name, event.error));
    case "run.cancelled":
      return Promise.reject(new RunCancelledError(event.runId, name, event.reason ?? "cancelled"));
    default:
      return Promise.reject(new Error(`sub-workflow run "${event.runId}" ended with ${event.type}`));
  }
}

function callSafely<T>(fn: ((value: T) => void) | undefined, value: T): void {
  if (fn === undefined) return;
  try {
    fn(value);
  } catch (error) {
    warn("run callback threw", error);
  }
}

function warn(what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.warn(`[runtrail] ${what}: ${message}`);
}
