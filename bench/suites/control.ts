/**
 * Control checks: what one decision point costs with many policies registered. Peers: the naive
 * manager hexDAG started from (sort by priority on every check, filter with Array.includes, await
 * each handler), once as written and once without the awaits, so the table shows which of the
 * two costs the precomputed per-type lists remove. Limit: calling the matching handlers directly.
 */
import type { TypePattern } from "../../src/bus/filter.js";
import type { RuntrailEvent } from "../../src/events/catalog.js";
import {
  createControl,
  type ControlAnswer,
  type ControlContext,
  type ControlDecision,
  type ControlHandlerFn,
} from "../../src/control/index.js";
import { measure, measureSync, type BenchRow } from "../harness.js";

const event = {
  id: "bench:1",
  type: "step.started",
  runId: "bench",
  accountId: "default",
  workflow: { name: "bench" },
  seq: 1,
  ts: 0,
  stepId: "s",
  attempt: 1,
} as RuntrailEvent;
const ctx: ControlContext = {
  point: "before-step",
  runId: "bench",
  accountId: "default",
  workflow: { name: "bench" },
  stepId: "s",
  attempt: 1,
  history: [],
};

/** Types the non-matching handlers filter on: realistic neighbours of the checked type. */
const OTHER_TYPES = ["step.failed", "tool.failed", "llm.failed", "run.started", "step.completed"] as const;

interface Spec {
  name: string;
  priority: number;
  types: readonly TypePattern[];
  fn: ControlHandlerFn;
}

/** `total` proceeding handlers, `matching` of them filtered to step.started, priorities shuffled deterministically. */
function specs(total: number, matching: number): Spec[] {
  let sink = 0;
  const list: Spec[] = [];
  for (let i = 0; i < total; i++) {
    const matches = i < matching;
    list.push({
      name: `h${i}`,
      priority: (i * 37) % 101,
      types: matches ? ["step.started"] : [OTHER_TYPES[i % OTHER_TYPES.length]!],
      // A little real work, so a handler call is not optimised away.
      fn: (e) => {
        sink += e.seq;
        return sink < 0 ? { signal: "skip" } : undefined;
      },
    });
  }
  return list;
}

/** hexDAG's "before" code, in TypeScript. */
function naiveManager(list: readonly Spec[], awaitEach: boolean) {
  const handlers = list.map((s) => ({ ...s }));
  const PROCEED: ControlDecision = { signal: "proceed" };
  const interpret = (spec: Spec, result: ControlAnswer | void | undefined): ControlDecision | undefined =>
    result && result.signal !== "proceed" ? { ...result, handler: spec.name } : undefined;
  return awaitEach
    ? async (e: RuntrailEvent, c: ControlContext): Promise<ControlDecision> => {
        for (const h of [...handlers].sort((a, b) => a.priority - b.priority)) {
          if (!h.types.includes(e.type)) continue;
          const decided = interpret(h, await h.fn(e, c));
          if (decided) return decided;
        }
        return PROCEED;
      }
    : (e: RuntrailEvent, c: ControlContext): Promise<ControlDecision> => {
        for (const h of [...handlers].sort((a, b) => a.priority - b.priority)) {
          if (!h.types.includes(e.type)) continue;
          const decided = interpret(h, h.fn(e, c) as ControlAnswer | undefined);
          if (decided) return Promise.resolve(decided);
        }
        return Promise.resolve(PROCEED);
      };
}

async function row(label: string, total: number, matching: number, note: string): Promise<BenchRow> {
  const list = specs(total, matching);
  const control = createControl();
  for (const s of list) control.register(s.fn, { name: s.name, priority: s.priority, eventTypes: s.types });
  const naive = naiveManager(list, true);
  const naiveNoAwait = naiveManager(list, false);
  const direct = list
    .filter((s) => s.types.includes("step.started"))
    .sort((a, b) => a.priority - b.priority)
    .map((s) => s.fn);

  const runtrail = await measure(() => control.check(event, ctx), { iterations: 200_000 });
  const naiveNs = await measure(() => naive(event, ctx), { iterations: 20_000 });
  const naiveNoAwaitNs = await measure(() => naiveNoAwait(event, ctx), { iterations: 20_000 });
  const limit = measureSync(
    () => {
      for (let i = 0; i < direct.length; i++) void direct[i]!(event, ctx);
    },
    { iterations: 1_000_000 },
  );
  return {
    case: label,
    metric: "check",
    unit: "ns",
    runtrail,
    peers: { "naive (sort + includes + await)": naiveNs, "naive without await": naiveNoAwaitNs },
    limit: { name: "direct sync calls of the matching handlers", value: limit },
    note,
  };
}

export default async function (): Promise<BenchRow[]> {
  return [
    await row("100 handlers, 10 match", 100, 10, "target < 2,000 ns; hexDAG claimed 40,000 ns (0.04 ms) per check with 100 handlers"),
    await row("100 handlers, 0 match", 100, 0, "target < 2,000 ns"),
    await row("1 handler (matching)", 1, 1, "target < 2,000 ns"),
  ];
}
