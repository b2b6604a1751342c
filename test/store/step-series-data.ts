/**
 * Known data for the time-bucketed step analytics, written through a store's writer with a bus
 * whose clock the data sets (so events carry past times), and the answer it must give.
 */
import { createBus, type EventInput } from "runtrail";
import { createStoreWriter, type EventStore, type StepSeries } from "../../src/store/index.js";

export const HOUR = 3_600_000;
/** 10:00 UTC on 2026-01-01: an hour boundary. */
export const H0 = Date.UTC(2026, 0, 1, 10);

const error = { name: "Error", message: "upstream down" };

/** One attempt of a step: when it ended, how long it took, and whether it failed. */
interface Attempt {
  readonly at: number;
  readonly ms: number;
  readonly failed?: boolean;
}

interface StepPlan {
  readonly stepId: string;
  readonly attempts: readonly Attempt[];
  readonly path?: number[];
  readonly skipped?: number;
}

interface RunPlan {
  readonly runId: string;
  readonly accountId: string;
  readonly workflow: string;
  readonly steps: readonly StepPlan[];
}

/** A run's events, each with the time it happens at: started a minute before its first step ends. */
function runEvents(plan: RunPlan): { at: number; input: EventInput }[] {
  const base = { runId: plan.runId, accountId: plan.accountId, workflow: { name: plan.workflow } };
  const first = Math.min(...plan.steps.flatMap((s) => [...s.attempts.map((a) => a.at), ...(s.skipped === undefined ? [] : [s.skipped])]));
  const out: { at: number; input: EventInput }[] = [{ at: first - 60_000, input: { type: "run.started", ...base } }];
  for (const step of plan.steps) {
    const where = { ...base, stepId: step.stepId, ...(step.path === undefined ? {} : { path: [...step.path] }) };
    if (step.skipped !== undefined) out.push({ at: step.skipped, input: { type: "step.skipped", ...where, reason: "not needed" } });
    step.attempts.forEach((attempt, i) => {
      const n = { attempt: i + 1 };
      out.push({ at: attempt.at - attempt.ms, input: { type: "step.started", ...where, ...n } });
      if (attempt.failed === true) {
        out.push({ at: attempt.at, input: { type: "step.failed", ...where, ...n, durationMs: attempt.ms, error } });
        if (i < step.attempts.length - 1) out.push({ at: attempt.at, input: { type: "step.retrying", ...where, ...n, delayMs: 0, nextAttempt: i + 2, error } });
      } else out.push({ at: attempt.at, input: { type: "step.completed", ...where, ...n, durationMs: attempt.ms } });
    });
  }
  return out;
}

/**
 * The plan, in acme's workflow `etl` unless said otherwise:
 * - 10:00–11:00: `load` completes in 1..20 ms over 20 runs (avg 10.5, nearest-rank p95 19), the
 *   first one exactly at 10:00 (the range's start, included); `notify` is skipped in one (no outcome).
 * - 11:00–12:00: `load` completes in 7 ms; fails once then completes in 30 ms; fails twice for good
 *   (a retry, then the end): completed 2, avg 18.5, p95 30, failed attempts 3, runs failed 1.
 *   A loop step `each` fails in two iterations of one run: failed attempts 2, runs failed 1.
 * - 12:00–13:00: nothing.
 * - 13:00–14:00: `save` completes in 5 ms; `load` completes at 14:00 exactly, the range's end (left out).
 * - Left out too: workflow `other` and account globex at 10:30, a step that ended at 09:59.
 */
const PLANS: readonly RunPlan[] = [
  ...Array.from({ length: 20 }, (_, i): RunPlan => ({
    runId: `h0-${i}`,
    accountId: "acme",
    workflow: "etl",
    steps: [{ stepId: "load", attempts: [{ at: H0 + i * 60_000, ms: i + 1 }] }, ...(i === 0 ? [{ stepId: "notify", attempts: [], skipped: H0 + 1_000 }] : [])],
  })),
  { runId: "h1-ok", accountId: "acme", workflow: "etl", steps: [{ stepId: "load", attempts: [{ at: H0 + HOUR + 60_000, ms: 7 }] }] },
  {
    runId: "h1-retried",
    accountId: "acme",
    workflow: "etl",
    steps: [{ stepId: "load", attempts: [{ at: H0 + HOUR + 120_000, ms: 4, failed: true }, { at: H0 + HOUR + 180_000, ms: 30 }] }],
  },
  {
    runId: "h1-failed",
    accountId: "acme",
    workflow: "etl",
    steps: [
      { stepId: "load", attempts: [{ at: H0 + HOUR + 240_000, ms: 2, failed: true }, { at: H0 + HOUR + 300_000, ms: 3, failed: true }] },
      { stepId: "each", path: [0], attempts: [{ at: H0 + HOUR + 310_000, ms: 1, failed: true }] },
      { stepId: "each", path: [1], attempts: [{ at: H0 + HOUR + 320_000, ms: 1, failed: true }] },
    ],
  },
  { runId: "h3-save", accountId: "acme", workflow: "etl", steps: [{ stepId: "save", attempts: [{ at: H0 + 3 * HOUR + 5 * 60_000, ms: 5 }] }] },
  { runId: "at-end", accountId: "acme", workflow: "etl", steps: [{ stepId: "load", attempts: [{ at: H0 + 4 * HOUR, ms: 999 }] }] },
  { runId: "before", accountId: "acme", workflow: "etl", steps: [{ stepId: "load", attempts: [{ at: H0 - 60_000, ms: 999 }] }] },
  { runId: "other-wf", accountId: "acme", workflow: "other", steps: [{ stepId: "load", attempts: [{ at: H0 + 30 * 60_000, ms: 999 }] }] },
  { runId: "globex-run", accountId: "globex", workflow: "etl", steps: [{ stepId: "load", attempts: [{ at: H0 + 30 * 60_000, ms: 999, failed: true }] }] },
];

/** The range the expected answer is for: 10:00 (included) to 14:00 (excluded), by the hour. */
export const RANGE = { workflow: "etl", bucketMs: HOUR, from: H0, to: H0 + 4 * HOUR } as const;

/** What `stepSeries("acme", RANGE)` answers for the plan. */
export const EXPECTED: readonly StepSeries[] = [
  { stepId: "each", points: [{ t: H0 + HOUR, completed: 0, failures: 2, runsFailed: 1 }] },
  {
    stepId: "load",
    points: [
      { t: H0, completed: 20, failures: 0, runsFailed: 0, avgMs: 10.5, p95Ms: 19 },
      { t: H0 + HOUR, completed: 2, failures: 3, runsFailed: 1, avgMs: 18.5, p95Ms: 30 },
    ],
  },
  { stepId: "save", points: [{ t: H0 + 3 * HOUR, completed: 1, failures: 0, runsFailed: 0, avgMs: 5, p95Ms: 5 }] },
];

/** Writes the plan into `store` (fresh event objects each call: the bus stamps them). */
export async function writeSeriesData(store: EventStore): Promise<void> {
  const clock = { now: 0 };
  const bus = createBus({ clock: () => clock.now });
  const writer = createStoreWriter(bus, store, { flushIntervalMs: 5 });
  for (const plan of PLANS) {
    for (const { at, input } of runEvents(plan)) {
      clock.now = at;
      await bus.emit(input);
    }
  }
  await writer.close();
}
