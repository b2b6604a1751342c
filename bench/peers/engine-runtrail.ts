/**
 * Runtrail in the `engine` suite: the shapes built with the TypeScript builder, run on a bus of
 * their own with no listener or with one listener that sees every event. Each prepared shape
 * counts its runs, so its `verify()` can prove every run left its whole trail: a fast
 * row must never be one whose events went missing.
 */
import { createBus, type EventBus } from "../../src/index.js";
import { workflow, type StepContext, type Workflow, type WorkflowBuilder } from "../../src/engine/index.js";
import { expectedOutput, label, type EngineContender, type Prepared, type Shape } from "./engine-shapes.js";

type ChainBuilder = WorkflowBuilder<number, Record<string, number>, number>;
type ChainContext = StepContext<number, Record<string, number>>;
/** One step of a chain: what it does with the value the previous step returned. */
export type ChainStep = (value: number, ctx: ChainContext) => number | Promise<number>;
/** Options one step of a chain gets, by its index (a `when` guard, say). */
export type ChainOptions = (index: number) => { readonly when?: string | (() => boolean) };

const stepId = (i: number): string => `s${i}`;

/**
 * A chain of `steps` steps, each needing the one before and passing `step(previous output)` on.
 *
 * @example
 * const wf = chainWorkflow("tools", 1_000, (v, ctx) => ctx.tool("inc", v, (a) => a + 1));
 * await wf.run(0); // 1000
 */
export function chainWorkflow(name: string, steps: number, step: ChainStep, options?: ChainOptions): Workflow<number, number> {
  let builder = workflow<number>(name) as unknown as ChainBuilder;
  for (let i = 0; i < steps; i++) {
    const prev = i === 0 ? undefined : stepId(i - 1);
    const handler = prev === undefined ? (ctx: ChainContext) => step(ctx.input, ctx) : (ctx: ChainContext) => step(ctx.steps[prev]!, ctx);
    const extra = options?.(i) ?? {};
    builder = builder.step(stepId(i), handler, prev === undefined ? extra : { ...extra, needs: [prev] });
  }
  return builder.build();
}

const plus1: ChainStep = (value) => value + 1;

/** One root, `width` steps that each need it, and a join that needs them all and sums them. */
export function fanoutWorkflow(width: number): Workflow<number, number> {
  let builder = workflow<number>(`fanout-${width}`).step("root", (ctx) => ctx.input + 1) as unknown as ChainBuilder;
  const branches: string[] = [];
  for (let i = 0; i < width; i++) {
    branches.push(stepId(i));
    builder = builder.step(stepId(i), (ctx) => ctx.steps.root! + 1, { needs: ["root"] });
  }
  const join = (ctx: ChainContext): number => {
    let total = 0;
    for (const id of branches) total += ctx.steps[id]!;
    return total;
  };
  return builder.step("join", join, { needs: branches }).build();
}

/**
 * Events one run of a shape emits: run.started and run.completed; per wave, wave.started and
 * wave.completed; per top-level step, step.started, step.completed and progress.updated.
 */
export function eventsPerRun(shape: Shape): number {
  return shape.kind === "chain" ? 2 + 5 * shape.steps : 14 + 3 * shape.width;
}

/**
 * Prepares `wf` to run on a fresh bus, with one listener counting every event or none, checking
 * each output against `expected` and, in {@link Prepared.verify}, the count of events.
 */
export function prepareTrail(name: string, wf: Workflow<number, number>, expected: number, perRun: number, listening: boolean): Prepared {
  const bus: EventBus = createBus();
  let seen = 0;
  if (listening) bus.onEvent(() => void seen++);
  let runs = 0;
  const options = { bus };
  return {
    run: async () => {
      runs++;
      const output = await wf.run(0, options);
      if (output !== expected) throw new Error(`${name}: output ${output}, expected ${expected}`);
    },
    verify: () => {
      const emitted = bus.stats().emitted;
      if (emitted !== runs * perRun) throw new Error(`${name}: ${runs} runs emitted ${emitted} events, expected ${perRun} each`);
      if (listening && seen !== emitted) throw new Error(`${name}: the listener saw ${seen} of ${emitted} events`);
    },
  };
}

/** Runtrail on a shape, with one listener attached to its bus or with none. */
export function runtrail(listening: boolean): EngineContender {
  const name = listening ? "runtrail" : "runtrail, no listener";
  return {
    name,
    prepare(shape) {
      const wf = shape.kind === "chain" ? chainWorkflow(`chain-${shape.steps}`, shape.steps, plus1) : fanoutWorkflow(shape.width);
      return prepareTrail(`${name} on ${label(shape)}`, wf, expectedOutput(shape), eventsPerRun(shape), listening);
    },
  };
}
