/**
 * What each event family costs: 1,000-step Runtrail chains that differ from the plain chain in
 * one thing each (a guard, a loop, a variable, a tool call, …), so the difference in per-step
 * time is the price of that feature and the events it adds. Each states the exact number of
 * events a run emits, and the suite verifies it after timing.
 */
import { workflow, type Workflow } from "../../src/engine/index.js";
import { chainWorkflow, type ChainOptions, type ChainStep } from "./engine-runtrail.js";

/** One variant of the chain. */
export interface Family {
  readonly name: string;
  /** The events (or work) it adds per step, for the row's note. */
  readonly adds: string;
  /** Step handlers a run calls (the divisor of per-step time). */
  readonly steps: number;
  readonly eventsPerRun: number;
  /** The run's output (every variant adds 1 per step, starting from 0). */
  readonly expected: number;
  build(): Workflow<number, number>;
}

/** Events of a plain top-level chain of `n`: run start/end, and per step two wave events, start, completion, progress. */
const chainEvents = (n: number): number => 2 + 5 * n;

function chainFamily(name: string, adds: string, n: number, extraEventsPerStep: number, step: ChainStep, options?: ChainOptions): Family {
  return {
    name,
    adds,
    steps: n,
    eventsPerRun: chainEvents(n) + extraEventsPerStep * n,
    expected: n,
    build: () => chainWorkflow(`family-${name.replace(/[^a-z0-9]+/gi, "-")}`, n, step, options),
  };
}

/**
 * A foreach over `items` items (one at a time) whose body is a chain of `body` steps. Inside a
 * loop, steps carry `path` and do not count toward progress, so each body step emits four
 * events; each iteration adds loop.iteration; the foreach node itself adds nine around them.
 */
function foreachFamily(items: number, body: number): Family {
  return {
    name: `foreach: ${items} iterations of a ${body}-step chain`,
    adds: "loop.iteration per item, path on every event, no progress.updated inside",
    steps: items * body,
    eventsPerRun: 9 + items * (1 + 4 * body),
    expected: items * body,
    build: () => {
      const chain = chainWorkflow(`family-foreach-body-${body}`, body, (value) => value + 1);
      const zeros: number[] = new Array<number>(items).fill(0);
      return workflow<number>(`family-foreach-${items}x${body}`)
        .foreach("loop", { items: () => zeros, concurrency: 1, do: chain })
        .output((scope) => scope.steps.loop.reduce((a, b) => a + b, 0))
        .build();
    },
  };
}

const usage = { prompt_tokens: 3, completion_tokens: 1 };

/** The chain variants, each of `n` steps (the foreach: the same number of body steps). */
export function families(n: number): Family[] {
  return [
    chainFamily("async handler", "no event; the handler returns a promise the engine awaits", n, 0, async (value) => value + 1),
    chainFamily("when (function) on every step", "condition.evaluated (scope snapshot included)", n, 1, (value) => value + 1, () => ({ when: () => true })),
    // The same at a tenth of the length: condition.evaluated snapshots every finished step's
    // output, so its cost per step grows with the chain; the pair of rows shows by how much.
    chainFamily(`when (function) on every step, ${n / 10}-step chain`, "condition.evaluated, on a shorter chain", n / 10, 1, (value) => value + 1, () => ({ when: () => true })),
    chainFamily("when (CEL) on every step", "condition.evaluated, a CEL evaluation", n, 1, (value) => value + 1, () => ({ when: "input >= 0" })),
    foreachFamily(10, n / 10),
    chainFamily("ctx.vars.set per step", "variable.changed", n, 1, (value, ctx) => {
      ctx.vars.set("last", value + 1);
      return value + 1;
    }),
    chainFamily("ctx.emit(x.*) per step", "one custom x.* event", n, 1, (value, ctx) => {
      ctx.emit("x.tick", value);
      return value + 1;
    }),
    chainFamily("ctx.metrics + ctx.timer per step", "no event; metrics ride on step.completed", n, 0, (value, ctx) => {
      const timer = ctx.timer("work");
      ctx.metrics.value = value;
      timer.stop();
      return value + 1;
    }),
    chainFamily("ctx.tool per step", "tool.called + tool.completed, two awaits", n, 2, (value, ctx) => ctx.tool("inc", value, (v) => v + 1)),
    chainFamily("ctx.llm per step", "llm.requested + llm.responded with token usage", n, 2, async (value, ctx) => {
      const response = await ctx.llm({ model: "bench-model", prompt: value }, () => ({ value: value + 1, usage }));
      return response.value;
    }),
  ];
}
