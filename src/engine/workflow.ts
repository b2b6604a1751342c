/**
 * A built workflow: run it, stream a run's events, watch every run. A run handle answers
 * `progress()`, `variables()` and `state()` by projecting its events, exactly as a stored or
 * replayed run would.
 */
import { createBus, type EventBus } from "../bus/index.js";
import { isTerminalRunEvent, type RuntrailEvent } from "../events/index.js";
import type { Progress } from "../events/index.js";
import { projectProgress } from "../projections/index.js";
import { projectRun, type RunState } from "../projections/index.js";
import { projectVariables, type VariablesState } from "../projections/index.js";
import type { RecoverMode, SubWorkflow } from "./define/definition-types.js";
import type { CompiledGraph } from "./define/graph-compile.js";
import { RunExecutor, type RunOptions } from "./run/run-executor.js";
import type { RunnableWorkflow } from "./run/run-host.js";
import { RunRestore, type SubTrails } from "./run/run-restore.js";
import { unsafeToRepeat } from "./run/run-inflight.js";
import { ResumeRefusedError } from "./run/signal-errors.js";

/**
 * A run in progress (or finished).
 * @example
 * const run = wf.start(input); await run.result; run.state()?.steps.load?.status // "completed"
 */
export interface RunHandle<Output> {
  readonly runId: string;
  /** Resolves with the output, or rejects with a `RunError` (e.g. `StepFailedError`). */
  readonly result: Promise<Output>;
  /** Cancels the run: `run.cancelled`, and `result` rejects with `RunCancelledError`. Works while suspended too. */
  cancel(reason?: string): void;
  /**
   * Suspends the run: `run.suspended` with `reason` and who asked (`by`, default `"caller"`); no
   * new step starts (running ones finish and their events are written) until {@link resume}.
   * False when it was already paused or has ended.
   * @example
   * run.suspend("waiting for the quota to reset", { by: "ops" }); run.state()?.status // "suspended"
   */
  suspend(reason?: string, options?: { readonly by?: string }): boolean;
  /** Ends a {@link suspend}: `run.resumed`, then what waited starts. False when it was not paused. */
  resume(options?: { readonly by?: string; readonly reason?: string }): boolean;
  /**
   * Delivers the signal a step waits for (`ctx.waitFor(name)`): `signal.received` with the
   * payload, `run.resumed`, and the step gets the payload. Rejects with `SignalNotAwaitedError`
   * when nothing waits for `name`, `SignalPayloadError` when the payload fails the wait's schema.
   * @example
   * await run.signal("approval", { approved: true }, { by: "alice" });
   */
  signal(name: string, payload?: unknown, options?: { readonly by?: string }): Promise<void>;
  /** The signals the run's steps (and its sub-workflow runs' steps) wait for now, oldest first. */
  waitingFor(): readonly string[];
  /** The run's events so far, in seq order. */
  history(): readonly RuntrailEvent[];
  progress(): Progress;
  variables(): VariablesState;
  state(): RunState | undefined;
}

/**
 * A run whose events are also an `AsyncIterable` that ends after the run's terminal event.
 * @example
 * const { events, result } = wf.runStream(input); for await (const e of events) render(e);
 */
export interface RunStream<Output> extends RunHandle<Output> {
  readonly events: AsyncIterable<RuntrailEvent>;
}

/**
 * Options of `runStream`: the run's, plus the stream's buffer (the run waits when it is full).
 * @example
 * wf.runStream(input, { bufferSize: 10_000, accountId: "acme" })
 */
export interface StreamOptions extends RunOptions {
  bufferSize?: number;
}

/**
 * Options of `resume`: the run options of the process that goes on with the run (its id,
 * account and parent come from the trail), and for crash recovery why it is resumed.
 * @example
 * wf.resume(trail, { bus, recovery: { by: "recovery", reason: "recovered after lease expiry of host-a pid 7" } })
 */
export interface ResumeOptions extends Omit<RunOptions, "runId" | "accountId" | "parentRunId">, SubTrails {
  /**
   * Set when the run's process died mid-run (crash recovery): the steps it was running run
   * again, so a step marked `idempotent: false` among them refuses the resume (naming it); and
   * the run's first new event says who recovered it and why: `run.resumed`, or `run.suspended`
   * when the trail leaves the run paused (it stays paused).
   */
  readonly recovery?: { readonly by: string; readonly reason: string };
}


/**
 * A validated workflow, made by `workflow(...).build()` or `loadWorkflow(...)`.
 *
 * @example
 * const wf = workflow<number>("double").step("x2", (ctx) => ctx.input * 2).build();
 * await wf.run(21); // 42
 */
export class Workflow<Input = unknown, Output = unknown> implements RunnableWorkflow, SubWorkflow {
  readonly name: string;
  readonly version: string | undefined;
  /** What a lease holder does with a run of this workflow whose process died (`workflow(name, { recover })`). */
  readonly recover: RecoverMode;
  private listeners: readonly ((event: RuntrailEvent) => void)[] = [];
  /** The buses this workflow's runs used, and each listener's registration there (held weakly: a bus may be short-lived). */
  private readonly watched = new WeakMap<EventBus, Map<(event: RuntrailEvent) => void, () => void>>();
  private readonly buses = new Set<WeakRef<EventBus>>();
  private ownBus: EventBus | undefined;

  /** @internal Use `workflow(...).build()` or `loadWorkflow`. */
  constructor(readonly graph: CompiledGraph) {
    this.name = graph.name;
    this.version = graph.version;
    this.recover = graph.recover;
  }

  /** The bus runs use when their options name none. */
  get bus(): EventBus {
    return (this.ownBus ??= createBus());
  }

  /**
   * Starts a run and returns its handle at once. Throws `TraceparentError` for a malformed
   * trace context in `options` (`run` rejects with it instead).
   *
   * @example
   * const run = wf.start(input, { accountId: "acme" });
   * setInterval(() => console.log(run.progress().percent), 1000);
   * await run.result;
   */
  start(input: Input, options: RunOptions = {}): RunHandle<Output> {
    const cancel = new AbortController();
    const signal = options.signal === undefined ? cancel.signal : AbortSignal.any([options.signal, cancel.signal]);
    const bus = options.bus ?? this.bus;
    this.watch(bus);
    const executor = new RunExecutor(this, input, { ...options, signal }, bus, true);
    void executor.execute();
    return handleOf<Output>(executor, cancel);
  }

  /**
   * Runs to the end: resolves with the output or rejects with a typed error naming the failed step.
   *
   * @example
   * try { console.log(await wf.run({ id: 7 })) }
   * catch (e) { if (e instanceof StepFailedError) console.error(e.stepId, e.error.message) }
   */
  run(input: Input, options: RunOptions = {}): Promise<Output> {
    const bus = options.bus ?? this.bus;
    this.watch(bus);
    let executor: RunExecutor;
    try {
      executor = new RunExecutor(this, input, options, bus);
    } catch (error) {
      // Bad options (a malformed traceparent) reject like every other failure of `run`.
      return Promise.reject(error as Error);
    }
    void executor.execute();
    return executor.result as Promise<Output>;
  }

  /**
   * Starts a run whose events can be read with `for await` (from `run.started` to the terminal
   * event, nothing missed: the run waits for a reader whose buffer is full).
   *
   * @example
   * const run = wf.runStream(input);
   * for await (const e of run.events) console.log(e.seq, e.type);
   * console.log(await run.result);
   */
  runStream(input: Input, options: StreamOptions = {}): RunStream<Output> {
    const runId = options.runId ?? globalThis.crypto.randomUUID();
    const bus = options.bus ?? this.bus;
    const subscription = bus.subscribe({ runId }, { bufferSize: options.bufferSize ?? 1_024, overflow: "block" });
    let handle: RunHandle<Output>;
    try {
      handle = this.start(input, { ...options, runId, bus });
    } catch (error) {
      subscription.unsubscribe();
      throw error;
    }
    async function* stream(): AsyncGenerator<RuntrailEvent> {
      try {
        for await (const event of subscription) {
          yield event;
          if (isTerminalRunEvent(event.type)) return;
        }
      } finally {
        subscription.unsubscribe();
      }
    }
    return { ...handle, events: stream() };
  }

  /**
   * Goes on with a run from its stored trail (its events from seq 1, in order): the run must
   * not have ended, and must have been started by this workflow at this version. Finished steps
   * are not run again (their outputs come from the trail), the seq continues after the trail's
   * last, and the waits the trail ends with are open again for `signal`. `resumeRun` reads the
   * trail from a store and calls this. A run's sub-workflow runs go on with it: give their trails
   * (by run id) in `subTrails`; a sub-workflow run's own trail is refused here.
   *
   * @example
   * const run = wf.resume(trail, { bus }); await run.signal("approval", { approved: true }); await run.result;
   * @throws ResumeRefusedError naming why (ended, another workflow, another version, a sub-workflow run).
   */
  resume(trail: readonly RuntrailEvent[], options: ResumeOptions = {}): RunHandle<Output> {
    const runId = trail[0]?.runId ?? "(empty trail)";
    const { subTrails, recovery, ...runOptions } = options;
    let restore: RunRestore;
    try {
      restore = new RunRestore(trail, subTrails);
    } catch (error) {
      throw new ResumeRefusedError(runId, error instanceof Error ? error.message : String(error));
    }
    if (restore.parentRunId !== undefined) {
      // Alone, it would finish and its parent would never hear of it: the parent takes it back.
      throw new ResumeRefusedError(runId, `it is a sub-workflow run of run "${restore.parentRunId}": resume that run (with this one in subTrails), or call resumeRun with either id`);
    }
    const { name, version } = restore.workflow;
    if (name !== this.name) throw new ResumeRefusedError(runId, `it was started by workflow "${name}", not "${this.name}"`);
    if (version !== this.version) {
      throw new ResumeRefusedError(runId, `it was started by "${name}" version ${JSON.stringify(version ?? null)}, and this process has version ${JSON.stringify(this.version ?? null)}`);
    }
    if (recovery !== undefined) {
      const unsafe = unsafeToRepeat(this.graph, trail, subTrails);
      if (unsafe.length > 0) {
        const named = unsafe.map((at) => `"${at.stepId}"${at.path === undefined ? "" : ` (iteration ${at.path.join(".")})`} attempt ${at.attempt}${at.runId === runId ? "" : ` of sub-workflow run "${at.runId}"`}`).join(", ");
        throw new ResumeRefusedError(runId, `step ${named} was running when its process died and is marked idempotent: false (or runs a sub-workflow with such a step), so it is not run again`);
      }
    }
    const bus = runOptions.bus ?? this.bus;
    if (bus.lastSeq(runId) > 0) throw new ResumeRefusedError(runId, "it is running in this process on this bus");
    const cancel = new AbortController();
    const signal = runOptions.signal === undefined ? cancel.signal : AbortSignal.any([runOptions.signal, cancel.signal]);
    this.watch(bus);
    const own: RunOptions = { ...runOptions, signal, accountId: restore.accountId };
    if (restore.parentRunId !== undefined) own.parentRunId = restore.parentRunId;
    if (restore.parentStep !== undefined) own.parentStep = restore.parentStep;
    if (restore.traceId !== undefined && own.traceId === undefined) own.traceId = restore.traceId;
    const executor = new RunExecutor(this, restore.input, own, bus, true, restore);
    // The resumed part of the history: what a handle's state() projects starts from the trail.
    // One push per event: spreading a trail of 130,000+ events overflows the call stack.
    for (const event of trail) executor.history.push(event);
    if (recovery !== undefined) {
      // A paused run stays paused: saying so with run.suspended keeps the trail's state (and the next restore's) right.
      void executor.emit({ type: restore.paused ? "run.suspended" : "run.resumed", by: recovery.by, reason: recovery.reason });
    }
    void executor.execute();
    return handleOf<Output>(executor, cancel);
  }

  /**
   * Sees every event of every run of this workflow, whichever bus it uses (seed 000's
   * `workflow.onEvent`). A listener that throws is reported and never affects the run.
   *
   * @example
   * const stop = wf.onEvent((e) => { if (e.type === "step.failed") alert(e.stepId) });
   */
  onEvent(listener: (event: RuntrailEvent) => void): () => void {
    this.listeners = [...this.listeners, listener];
    for (const bus of this.liveBuses()) this.watched.get(bus)!.set(listener, this.listen(bus, listener));
    return () => {
      this.listeners = this.listeners.filter((other) => other !== listener);
      for (const bus of this.liveBuses()) {
        const registered = this.watched.get(bus)!;
        registered.get(listener)?.();
        registered.delete(listener);
      }
    };
  }

  /**
   * Registers this workflow's `onEvent` listeners on `bus` (once per bus), so they are bus
   * listeners like any other: isolated, counted and reported by the bus. Called before a run of
   * this workflow (or a sub-workflow run of it) starts on `bus`.
   * @internal
   */
  watch(bus: EventBus): void {
    if (this.watched.has(bus)) return;
    const registered = new Map<(event: RuntrailEvent) => void, () => void>();
    for (const listener of this.listeners) registered.set(listener, this.listen(bus, listener));
    this.watched.set(bus, registered);
    this.buses.add(new WeakRef(bus));
  }

  private *liveBuses(): Generator<EventBus> {
    for (const ref of this.buses) {
      const bus = ref.deref();
      if (bus === undefined) this.buses.delete(ref);
      else yield bus;
    }
  }

  private listen(bus: EventBus, listener: (event: RuntrailEvent) => void): () => void {
    // The workflow ref object is this workflow's own (every run of it stamps the same one), so one
    // identity test tells its events from every other workflow's.
    const ref = this.graph.ref;
    return bus.onEvent(listener, { where: (event) => event.workflow === ref });
  }
}

function handleOf<Output>(executor: RunExecutor, cancel: AbortController): RunHandle<Output> {
  return {
    runId: executor.runId,
    result: executor.result as Promise<Output>,
    cancel: (reason = "cancelled by the caller") => cancel.abort(reason),
    suspend: (reason, options) => executor.suspend(reason, options?.by ?? "caller"),
    resume: (options) => executor.resume(options?.by ?? "caller", options?.reason),
    signal: (name, payload, options) => executor.deliver(name, payload, options?.by ?? "caller"),
    waitingFor: () => executor.waitingFor(),
    history: () => executor.history,
    progress: () => projectProgress(executor.history),
    variables: () => projectVariables(executor.history),
    state: () => projectRun(executor.history),
  };
}
