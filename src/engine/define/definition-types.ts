/**
 * The shapes of a workflow definition and of what a step's code receives. The TypeScript
 * builder and the YAML/JSON loader both produce a {@link GraphModel}; the compiler validates it.
 */
import type { StepRetrySettings } from "../../control/index.js";
import type { Static, TSchema } from "@sinclair/typebox";
import type { TokenUsage } from "../../events/index.js";

/**
 * Options of `ctx.waitFor`.
 * @example
 * await ctx.waitFor("approval", { timeoutMs: 86_400_000, onTimeout: "resume", timeoutValue: { approved: false } })
 */
export interface WaitOptions<T = unknown> {
  /** How long to wait; default for ever (the run holds no timer then). */
  readonly timeoutMs?: number;
  /**
   * A JSON Schema (a TypeBox schema, or plain JSON Schema) the signal's payload must match; a
   * signal that does not is refused, naming the field. It is stored with the wait in the trail,
   * so any process can check a signal for it.
   */
  readonly schema?: TSchema | Record<string, unknown>;
  /** What a timeout does: `"fail"` (default: waitFor throws `SignalTimeoutError`) or `"resume"` (returns `timeoutValue`). */
  readonly onTimeout?: "fail" | "resume";
  readonly timeoutValue?: T;
}

/**
 * What an expression sees: the run (or iteration) input, finished steps' outputs, variables.
 * @example
 * (s) => s.input.amount > 100 && s.vars.approved === true
 */
export interface ExpressionScope<Input = unknown> {
  readonly input: Input;
  /** Outputs of the steps of this graph that have finished, by id. */
  readonly steps: Readonly<Record<string, unknown>>;
  readonly vars: Readonly<Record<string, unknown>>;
  /** Inside a foreach body: the current item and its index. Inside a while body: the index. */
  readonly item?: unknown;
  readonly index?: number;
}

/**
 * A condition: a CEL expression (`"input.amount > 100"`) or a TypeScript predicate.
 * @example
 * .step("notify", notify, { when: "vars.status == 'failed'" })
 * .step("notify", notify, { when: (s) => s.vars.status === "failed" })
 */
export type Condition<Input = unknown> = string | ((scope: ExpressionScope<Input>) => boolean);

/**
 * A value computed from the scope: a CEL expression or a TypeScript function.
 * @example
 * .subworkflow("child", child, { input: "steps.load.rows" })
 */
export type ValueSource<T = unknown, Input = unknown> = string | ((scope: ExpressionScope<Input>) => T);

/**
 * A step's own retry settings: attempts in all and a fixed delay or exponential backoff. They
 * run as control's built-in `stepRetryPolicy`, consulted after the run's own control handlers.
 * @example
 * .step("fetch", fetchPage, { retry: { attempts: 3, backoff: { initialDelayMs: 200, factor: 2 } } })
 */
export type RetrySettings = StepRetrySettings;

/**
 * The run's variables. Every `set` emits `variable.changed` {name, old, new}.
 * @example
 * ctx.vars.set("attempts", (ctx.vars.get<number>("attempts") ?? 0) + 1);
 */
export interface Vars {
  get<T = unknown>(name: string): T | undefined;
  has(name: string): boolean;
  /** Sets a variable; a no-op (and no event) when the value is identical (`Object.is`). */
  set(name: string, value: unknown): void;
  /** A shallow copy of every variable. */
  snapshot(): Record<string, unknown>;
}

/**
 * A sub-task timer: `stop()` records `<name>_ms` in the step's metrics and returns it.
 * @example
 * const t = ctx.timer("merge"); merge(); t.stop(); // metrics.merge_ms
 */
export interface StepTimer {
  stop(): number;
}

/**
 * What `ctx.llm` sends. `model` is required so the trail can say which model answered.
 * @example
 * await ctx.llm({ model: "gpt-4o", prompt: messages, temperature: 0 }, (req) => client.chat(req))
 */
export interface LlmRequest {
  readonly model: string;
  readonly prompt: unknown;
  readonly [option: string]: unknown;
}

/**
 * Token usage as providers report it; any of these spellings is read.
 * @example
 * ctx.llm(req, async () => ({ text, usage: { prompt_tokens: 12, completion_tokens: 3 } }))
 */
export type UsageLike =
  | TokenUsage
  | { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number }
  | { input_tokens?: number; output_tokens?: number };

/**
 * What a step's code gets.
 *
 * @example
 * .step("score", async (ctx) => {
 *   const t = ctx.timer("fetch");
 *   const rows = await fetchRows(ctx.input.table, { signal: ctx.signal });
 *   t.stop(); // metrics.fetch_ms
 *   ctx.metrics.rows = rows.length;
 *   if (rows.length === 0) ctx.issues.push("no rows");
 *   return rows.length;
 * })
 */
export interface StepContext<Input = unknown, Steps = Readonly<Record<string, unknown>>> {
  /** The step's input: its `input` mapping when it has one, else the run's (or iteration's) input. */
  readonly input: Input;
  /**
   * Outputs of finished steps by id. Typed for the steps it `needs` and their ancestors (those
   * are sure to have finished); a step skipped by a guard or branch has `undefined`.
   */
  readonly steps: Steps;
  readonly vars: Vars;
  /** Aborted when the run is cancelled, times out or fails elsewhere, or this step times out. */
  readonly signal: AbortSignal;
  /** 1 on the first attempt, 2 on the first retry, … */
  readonly attempt: number;
  readonly runId: string;
  readonly accountId: string;
  readonly stepId: string;
  /** Loop iteration indices, outermost first; undefined outside loops. */
  readonly path: readonly number[] | undefined;
  /** The foreach item of the iteration this step runs in. */
  readonly item: unknown;
  /** Numeric measurements, carried on step.completed / step.failed. */
  readonly metrics: Record<string, number>;
  /** Non-fatal warnings, carried on step.completed / step.failed. */
  readonly issues: string[];
  /** Starts a sub-task timer; `stop()` adds `<name>_ms` to metrics. */
  timer(name: string): StepTimer;
  /** Emits a custom `x.*` event stamped with this run, step and attempt. */
  emit(type: `x.${string}`, data?: unknown): void;
  /** Wraps a tool call: tool.called, then tool.completed or tool.failed (and control's answer). */
  tool<A, R>(name: string, args: A, fn: (args: A, signal: AbortSignal) => R | Promise<R>): Promise<Awaited<R>>;
  /** Wraps a model call: llm.requested, then llm.responded (with usage) or llm.failed. */
  llm<R>(request: LlmRequest, fn: (request: LlmRequest, signal: AbortSignal) => R | Promise<R>): Promise<Awaited<R>>;
  /**
   * Waits for the signal `name` (a person's approval, a webhook): the run writes `run.suspended`
   * with `waitingFor: name` and starts nothing new until `run.signal(name, payload)`, the HTTP
   * route or `runtrail signal` delivers it; resolves with the payload. The run needs no live
   * process meanwhile: `resumeRun` goes on from the trail in any process, running this step's code
   * again from its start (so put side effects in an earlier step) and handing it the payload here.
   */
  waitFor<S extends TSchema>(name: string, options: Omit<WaitOptions, "schema"> & { readonly schema: S }): Promise<Static<S>>;
  waitFor<T = unknown>(name: string, options?: WaitOptions<T>): Promise<T>;
}

/**
 * A step's code.
 * @example
 * const load: StepHandler<{ table: string }> = async (ctx) => db.rows(ctx.input.table);
 */
export type StepHandler<Input = unknown, Steps = Readonly<Record<string, unknown>>, Output = unknown> = (
  ctx: StepContext<Input, Steps>,
) => Output | Promise<Output>;

/**
 * Options every node accepts.
 * @example
 * .step("save", save, { needs: ["load"], when: "size(steps.load) > 0", timeoutMs: 5_000, tag: "io" })
 */
export interface NodeOptions<Needs extends string = string, Input = unknown> {
  /** Steps that must finish first. */
  readonly needs?: readonly Needs[];
  /** Guard: when false the step is skipped (`condition.evaluated`, then `step.skipped`). */
  readonly when?: Condition<Input>;
  readonly retry?: RetrySettings;
  /** Fails the attempt with `StepTimeoutError` after this long. */
  readonly timeoutMs?: number;
  /** Carried on the step's events as `tag` (seed 000's step tag). */
  readonly tag?: string;
  /** Carried on the step's events as `stepKey`. */
  readonly key?: string;
  /**
   * False for a step that must not run twice (a payment, an e-mail): if its process dies while
   * it runs, crash recovery (`recover: "resume"`) does not run it again but ends the run with
   * `run.failed` naming the step. Default true: a recovered run runs again the steps that were
   * running when its process died (at-least-once).
   */
  readonly idempotent?: boolean;
}

/**
 * Anything that can run as a sub-workflow: a built {@link Workflow}.
 * @example
 * .subworkflow("enrich", enrichWorkflow)
 */
export interface SubWorkflow {
  readonly name: string;
  /** @internal The validated definition. */
  readonly graph: unknown;
}

interface NodeCommon {
  readonly id: string;
  readonly needs?: readonly string[];
  readonly when?: Condition;
  readonly retry?: RetrySettings;
  readonly timeoutMs?: number;
  readonly tag?: string;
  readonly key?: string;
  readonly input?: ValueSource;
  readonly idempotent?: boolean;
}

/**
 * One node of a definition, before validation. Both the builder and the spec loader make these.
 * @example
 * const node: NodeModel = { id: "a", kind: "step", handler: (ctx) => 1 };
 */
export type NodeModel = NodeCommon &
  (
    | { readonly kind: "step"; readonly handler: StepHandler<never, never> | undefined }
    | { readonly kind: "if"; readonly condition: Condition; readonly then: readonly string[]; readonly else: readonly string[] }
    | { readonly kind: "foreach"; readonly items: ValueSource; readonly concurrency?: number; readonly body: GraphModel }
    | { readonly kind: "while"; readonly condition: Condition; readonly max: number; readonly body: GraphModel }
    | { readonly kind: "workflow"; readonly workflow: SubWorkflow }
  );

/**
 * A definition before validation: nodes in declaration order.
 * @example
 * new Workflow(compileGraph({ name: "w", nodes: [{ id: "a", kind: "step", handler: () => 1 }] }))
 */
export interface GraphModel {
  readonly name: string;
  readonly version?: string;
  readonly nodes: readonly NodeModel[];
  /** Initial run variables (each emits variable.changed when the run starts). */
  readonly vars?: Readonly<Record<string, unknown>>;
  /** The run's output; default: the output of the last declared node. */
  readonly output?: ValueSource;
  /** Most step handlers running at once in a run. Default: unlimited. */
  readonly concurrency?: number;
  /** What a lease holder does with a run whose process died: see {@link RecoverMode}. Default `"fail"`. */
  readonly recover?: RecoverMode;
}

/**
 * What becomes of a run whose process died (its run lease expired). `"fail"` (the default): the
 * next lease holder ends it with `run.failed` (`RunAbandoned`). `"resume"`: a lease holder that
 * has the workflow registered (same name and version) resumes it from its trail; completed
 * steps are not run again, the steps that were running run again (at-least-once), unless one is
 * marked `idempotent: false`, which ends the run with `run.failed` naming it.
 * @example
 * workflow("orders", { version: "2", recover: "resume" })
 */
export type RecoverMode = "resume" | "fail";
