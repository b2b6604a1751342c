/**
 * The TypeScript builder. Each step's output type is inferred from its handler, and a step sees
 * the outputs of the steps it `needs`, typed: `ctx.steps.fetch` is what `fetch` returned.
 */
import type {
  Condition,
  RecoverMode,
  ExpressionScope,
  GraphModel,
  NodeModel,
  NodeOptions,
  StepHandler,
  ValueSource,
} from "./define/definition-types.js";
import { compileGraph } from "./define/graph-compile.js";
import { Workflow } from "./workflow.js";

type AnyOutputs = Record<string, unknown>;

/**
 * Options of a sub-workflow step: node options plus the child run's input, computed from the
 * scope (default: this run's input). Recorded on the step's `step.started`.
 * @example
 * .subworkflow("child", child, { needs: ["load"], input: (s) => s.steps.load })
 */
export interface StepOptions<Needs extends string, Input, StepInput> extends NodeOptions<Needs, Input> {
  readonly input?: string | ((scope: ExpressionScope<Input>) => StepInput);
}

/** Adds a step's output to the outputs seen so far. */
type With<Outputs, Id extends string, Out> = Outputs & { readonly [K in Id]: Out };

/** The ancestors of the steps in `Needs` (each step's needs, and theirs, …). */
type AncestorsOf<Anc, Needs> = Needs extends keyof Anc ? Anc[Needs] : never;

/** What a step may read on `ctx.steps`: the steps it needs and everything they needed. */
type Visible<Outputs, Anc, Needs> = Pick<Outputs, (Needs | AncestorsOf<Anc, Needs>) & keyof Outputs>;

/** The builder after adding node `Id` with output `Out`. */
type Grown<Input, Outputs, Anc, Id extends string, Needs, Out> = WorkflowBuilder<
  Input,
  With<Outputs, Id, Out>,
  Out,
  Anc & { readonly [K in Id]: Needs | AncestorsOf<Anc, Needs> }
>;

/**
 * Builds a workflow step by step; `build()` validates and returns a runnable {@link Workflow}.
 *
 * @example
 * const wf = workflow<{ url: string }>("fetch-and-count")
 *   .step("fetch", async (ctx) => (await fetch(ctx.input.url)).text())
 *   .step("count", (ctx) => ctx.steps.fetch.length, { needs: ["fetch"] })
 *   .build();
 * const n: number = await wf.run({ url: "https://example.com" });
 */
export class WorkflowBuilder<Input, Outputs extends AnyOutputs, Last, Anc = {}> {
  private readonly nodes: NodeModel[] = [];
  private initialVars: Record<string, unknown> | undefined;
  private outputSource: ValueSource | undefined;
  private limit: number | undefined;

  constructor(
    private readonly name: string,
    private readonly version?: string,
    private readonly recover?: RecoverMode,
  ) {}

  /**
   * Adds a step. `needs` lists steps that must finish first; their outputs (and their ancestors')
   * are typed on `ctx.steps`. A step skipped by a `when` guard or an untaken branch leaves
   * `undefined` there, so read such steps with `??`.
   * (`ctx.input` is the run's input; a step computes what it needs from it and `ctx.steps`. Specs
   * loaded from YAML/JSON may give a step an `input` expression instead.)
   *
   * @example
   * .step("total", (ctx) => ctx.steps.prices.reduce((a, b) => a + b, 0), { needs: ["prices"], retry: { attempts: 3 } })
   */
  step<const Id extends string, Out, const Needs extends keyof Outputs & string = never>(
    id: Id,
    handler: StepHandler<Input, Visible<Outputs, Anc, Needs>, Out>,
    options: NodeOptions<Needs, Input> = {},
  ): Grown<Input, Outputs, Anc, Id, Needs, Awaited<Out>> {
    this.nodes.push({ ...nodeOptions(id, options), kind: "step", handler: handler as unknown as StepHandler<never, never> });
    return this as unknown as Grown<Input, Outputs, Anc, Id, Needs, Awaited<Out>>;
  }

  /**
   * Adds a step that runs another workflow as a run of its own (`parentRunId` set, its own seq).
   *
   * @example
   * .subworkflow("enrich", enrichWorkflow, { needs: ["load"], input: (s) => s.steps.load })
   */
  subworkflow<const Id extends string, SubInput, SubOutput, const Needs extends keyof Outputs & string = never>(
    id: Id,
    child: Workflow<SubInput, SubOutput>,
    options: StepOptions<Needs, Input, SubInput> = {},
  ): Grown<Input, Outputs, Anc, Id, Needs, SubOutput> {
    this.nodes.push({ ...nodeOptions(id, options), kind: "workflow", workflow: child });
    return this as unknown as Grown<Input, Outputs, Anc, Id, Needs, SubOutput>;
  }

  /**
   * Adds an if/else branch: the steps in `then` run when the condition holds, those in `else`
   * when it does not; the others are skipped with the reason. Its output is the condition's value.
   *
   * @example
   * .if("big", "input.amount > 1000.0", { then: ["review"], else: ["autoApprove"] })
   */
  if<const Id extends string, const Needs extends keyof Outputs & string = never>(
    id: Id,
    condition: Condition<Input>,
    arms: { readonly then: readonly string[]; readonly else?: readonly string[] },
    options: NodeOptions<Needs, Input> = {},
  ): Grown<Input, Outputs, Anc, Id, Needs, boolean> {
    this.nodes.push({ ...nodeOptions(id, options), kind: "if", condition: condition as Condition, then: arms.then, else: arms.else ?? [] });
    return this as unknown as Grown<Input, Outputs, Anc, Id, Needs, boolean>;
  }

  /**
   * Runs `do` once per item of a collection, at most `concurrency` at a time. Inside, `ctx.input`
   * and `ctx.item` are the item; events carry the iteration `path`. Output: each iteration's output.
   *
   * @example
   * .foreach("resize", { items: (s) => s.steps.list, concurrency: 3, do: resizeOne }, { needs: ["list"] })
   */
  foreach<const Id extends string, Item, BodyOutput, const Needs extends keyof Outputs & string = never>(
    id: Id,
    loop: {
      readonly items: string | ((scope: ExpressionScope<Input>) => readonly Item[]);
      readonly concurrency?: number;
      readonly do: Workflow<Item, BodyOutput>;
    },
    options: NodeOptions<Needs, Input> = {},
  ): Grown<Input, Outputs, Anc, Id, Needs, BodyOutput[]> {
    this.nodes.push({
      ...nodeOptions(id, options),
      kind: "foreach",
      items: loop.items as ValueSource,
      ...(loop.concurrency === undefined ? {} : { concurrency: loop.concurrency }),
      body: loop.do?.graph?.model as GraphModel,
    });
    return this as unknown as Grown<Input, Outputs, Anc, Id, Needs, BodyOutput[]>;
  }

  /**
   * Runs `do` while the condition holds, at most `max` times (more fails the run). The body sees
   * the run's input; `index` is the iteration number. Output: each iteration's output.
   *
   * @example
   * .while("poll", { condition: "vars.status != 'done'", max: 20, do: pollOnce })
   */
  while<const Id extends string, BodyOutput, const Needs extends keyof Outputs & string = never>(
    id: Id,
    loop: { readonly condition: Condition<Input>; readonly max: number; readonly do: Workflow<Input, BodyOutput> },
    options: NodeOptions<Needs, Input> = {},
  ): Grown<Input, Outputs, Anc, Id, Needs, BodyOutput[]> {
    this.nodes.push({
      ...nodeOptions(id, options),
      kind: "while",
      condition: loop.condition as Condition,
      max: loop.max,
      body: loop.do?.graph?.model as GraphModel,
    });
    return this as unknown as Grown<Input, Outputs, Anc, Id, Needs, BodyOutput[]>;
  }

  /**
   * Initial run variables; each emits `variable.changed` when a run starts.
   *
   * @example
   * .vars({ attempts: 0, status: "pending" })
   */
  vars(initial: Record<string, unknown>): this {
    this.initialVars = { ...this.initialVars, ...initial };
    return this;
  }

  /** Most step handlers running at once in one run (default: unlimited). */
  concurrency(limit: number): this {
    this.limit = limit;
    return this;
  }

  /**
   * The run's output; default: the last declared step's output.
   *
   * @example
   * .output((s) => ({ total: s.steps.total, warnings: s.vars.warnings }))
   */
  output<O>(source: ((scope: ExpressionScope<Input> & { readonly steps: Outputs }) => O) | string): WorkflowBuilder<Input, Outputs, O, Anc> {
    this.outputSource = source as ValueSource;
    return this as unknown as WorkflowBuilder<Input, Outputs, O, Anc>;
  }

  /** The definition as data, before validation. */
  model(): GraphModel {
    return {
      name: this.name,
      ...(this.version === undefined ? {} : { version: this.version }),
      nodes: [...this.nodes],
      ...(this.initialVars === undefined ? {} : { vars: this.initialVars }),
      ...(this.outputSource === undefined ? {} : { output: this.outputSource }),
      ...(this.limit === undefined ? {} : { concurrency: this.limit }),
      ...(this.recover === undefined ? {} : { recover: this.recover }),
    };
  }

  /**
   * Validates and returns the runnable workflow. Throws `WorkflowDefinitionError` listing every
   * problem (unknown step in needs, cycle, duplicate id, missing handler, bad expression).
   */
  build(): Workflow<Input, Last> {
    return new Workflow<Input, Last>(compileGraph(this.model()));
  }
}

function nodeOptions(id: string, options: StepOptions<string, never, unknown> | NodeOptions<string, never>): Omit<NodeModel, "kind"> {
  const out: { -readonly [K in keyof Omit<NodeModel, "kind">]: Omit<NodeModel, "kind">[K] } = { id };
  if (options.needs !== undefined) out.needs = options.needs;
  if (options.when !== undefined) out.when = options.when as Condition;
  if (options.retry !== undefined) out.retry = options.retry;
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs;
  if (options.tag !== undefined) out.tag = options.tag;
  if (options.key !== undefined) out.key = options.key;
  if (options.idempotent !== undefined) out.idempotent = options.idempotent;
  const input = (options as StepOptions<string, never, unknown>).input;
  if (input !== undefined) out.input = input as ValueSource;
  return out;
}

/**
 * Options of {@link workflow}: the version runs are stamped with (a resume needs the same one),
 * and what becomes of a run whose process died (`recover`, default `"fail"`).
 * @example
 * workflow("orders", { version: "2", recover: "resume" })
 */
export interface WorkflowOptions {
  readonly version?: string;
  readonly recover?: RecoverMode;
}

/**
 * Starts a workflow definition. `Input` types `ctx.input` and `run(input)`.
 *
 * @example
 * const hex = workflow<number>("hexdag")
 *   .step("add", (ctx) => ctx.input + 1)
 *   .step("double", (ctx) => ctx.steps.add * 2, { needs: ["add"] })
 *   .build();
 * await hex.run(5); // 12
 */
export function workflow<Input = unknown>(name: string, options: WorkflowOptions = {}): WorkflowBuilder<Input, {}, undefined> {
  return new WorkflowBuilder<Input, {}, undefined>(name, options.version, options.recover);
}
