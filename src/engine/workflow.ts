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
import type { SubWorkflow } from "./define/definition-types.js";
import type { CompiledGraph } from "./define/graph-compile.js";
import { RunExecutor, type RunOptions } from "./run/run-executor.js";
import type { RunnableWorkflow } from "./run/run-host.js";

/**
 * A run in progress (or finished).
 * @example
 * const run = wf.start(input); await run.result; run.state()?.steps.load?.status // "completed"
 */
export interface RunHandle<Output> {
  readonly runId: string;
  /** Resolves with the output, or rejects with a `RunError` (e.g. `StepFailedError`). */
  readonly result: Promise<Output>;
  /** Cancels the run: `run.cancelled`, and `result` rejects with `RunCancelledError`. */
  cancel(reason?: string): void;
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
 * A validated workflow, made by `workflow(...).build()` or `loadWorkflow(...)`.
 *
 * @example
 * const wf = workflow<number>("double").step("x2", (ctx) => ctx.input * 2).build();
 * await wf.run(21); // 42
 */
export class Workflow<Input = unknown, Output = unknown> implements RunnableWorkflow, SubWorkflow {
  readonly name: string;
  readonly version: string | undefined;
  private listeners: readonly ((event: RuntrailEvent) => void)[] = [];
  /** The buses this workflow's runs used, and each listener's registration there (held weakly: a bus may be short-lived). */
  private readonly watched = new WeakMap<EventBus, Map<(event: RuntrailEvent) => void, () => void>>();
  private readonly buses = new Set<WeakRef<EventBus>>();
  private ownBus: EventBus | undefined;

  /** @internal Use `workflow(...).build()` or `loadWorkflow`. */
  constructor(readonly graph: CompiledGraph) {
    this.name = graph.name;
    this.version = graph.version;
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
    history: () => executor.history,
    progress: () => projectProgress(executor.history),
    variables: () => projectVariables(executor.history),
    state: () => projectRun(executor.history),
  };
}
