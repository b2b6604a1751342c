import { describe, expect, it } from "vitest";
import { createBus, type RuntrailEvent } from "runtrail";
import { workflow } from "../../src/engine/index.js";
import { NO_PROGRESS, projectProgress, projectRun, projectVariables, reduceProgress, reduceRun, reduceVariables, type RunState } from "../../src/projections/index.js";

const wf = { name: "p" };
let seq = 0;
/** A stamped event, as a store would hand it back. */
function ev(fields: Record<string, unknown>): RuntrailEvent {
  seq++;
  return { id: `r:${seq}`, runId: "r", accountId: "default", workflow: wf, seq, ts: 1_000 + seq, ...fields } as RuntrailEvent;
}

describe("progress", () => {
  it("is 0 for an empty workflow and stays 0", () => {
    seq = 0;
    const events = [ev({ type: "run.started", totalSteps: 0 }), ev({ type: "run.completed", durationMs: 1 })];
    expect(projectProgress(events)).toEqual({ completed: 0, failed: 0, skipped: 0, total: 0, percent: 0 });
  });

  it("counts top-level steps only, never decreases and caps at 100", () => {
    seq = 0;
    const events = [
      ev({ type: "run.started", totalSteps: 3 }),
      ev({ type: "step.completed", stepId: "a", durationMs: 1 }),
      ev({ type: "step.completed", stepId: "inner", path: [0], durationMs: 1 }),
      ev({ type: "step.failed", stepId: "b", durationMs: 1, error: { name: "E", message: "x" } }),
      ev({ type: "step.retrying", stepId: "b", delayMs: 0, nextAttempt: 2, error: { name: "E", message: "x" } }),
      ev({ type: "step.completed", stepId: "b", durationMs: 1 }),
      ev({ type: "step.skipped", stepId: "c", reason: "no" }),
      ev({ type: "step.completed", stepId: "extra", durationMs: 1 }),
    ];
    const percents: number[] = [];
    let p = NO_PROGRESS;
    for (const e of events) {
      p = reduceProgress(p, e);
      percents.push(p.percent);
    }
    expect(percents).toEqual([0, 33.33, 33.33, 66.67, 66.67, 66.67, 100, 100]);
    expect(p).toEqual({ completed: 3, failed: 0, skipped: 1, total: 3, percent: 100 });
    for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThanOrEqual(percents[i - 1]!);
  });

  it("returns the same object for events that change nothing", () => {
    seq = 0;
    const p = reduceProgress(undefined, ev({ type: "run.started", totalSteps: 2 }));
    expect(reduceProgress(p, ev({ type: "wave.started", wave: 0, stepIds: ["a"] }))).toBe(p);
  });
});

describe("variables", () => {
  it("keeps each variable's last value, purely", () => {
    seq = 0;
    const a = ev({ type: "variable.changed", variable: { name: "n", new: 1 } });
    const b = ev({ type: "variable.changed", variable: { name: "n", old: 1, new: 2 } });
    const c = ev({ type: "variable.changed", variable: { name: "s", new: "x" } });
    const first = reduceVariables(undefined, a);
    const second = reduceVariables(first, b);
    expect(first).toEqual({ n: 1 });
    expect(second).toEqual({ n: 2 });
    expect(projectVariables([a, b, c])).toEqual({ n: 2, s: "x" });
  });
});

describe("run state", () => {
  it("has output only when completed, error only when failed, and every step's attempts and durations", () => {
    seq = 0;
    const events = [
      ev({ type: "run.started", input: { x: 1 }, totalSteps: 2 }),
      ev({ type: "step.started", stepId: "a", attempt: 1 }),
      ev({ type: "step.failed", stepId: "a", attempt: 1, durationMs: 3, error: { name: "E", message: "boom" }, metrics: { tries: 1 } }),
      ev({ type: "step.retrying", stepId: "a", attempt: 1, delayMs: 5, nextAttempt: 2, error: { name: "E", message: "boom" } }),
      ev({ type: "step.started", stepId: "a", attempt: 2 }),
      ev({ type: "step.completed", stepId: "a", attempt: 2, durationMs: 4, output: 10, metrics: { rows: 2 } }),
      ev({ type: "step.skipped", stepId: "b", reason: "when false" }),
      ev({ type: "variable.changed", variable: { name: "v", new: true } }),
    ];
    const running = projectRun(events)!;
    expect(running.status).toBe("running");
    expect(running.steps.a).toEqual({ stepId: "a", status: "completed", attempts: 2, durationsMs: [3, 4], durationMs: 4, output: 10, metrics: { rows: 2 }, startedAt: 1_002, endedAt: 1_006 });
    expect(running.steps.b).toEqual({ stepId: "b", status: "skipped", attempts: 0, durationsMs: [], reason: "when false", startedAt: 1_007, endedAt: 1_007 });
    expect(running.variables).toEqual({ v: true });
    expect(running.progress).toEqual({ completed: 1, failed: 0, skipped: 1, total: 2, percent: 100 });
    expect("output" in running).toBe(false);

    const done = projectRun([...events, ev({ type: "run.completed", output: 10, durationMs: 9 })])!;
    expect(done).toMatchObject({ status: "completed", output: 10, durationMs: 9, lastSeq: 9, input: { x: 1 } });
    expect("error" in done).toBe(false);

    const failed = projectRun([...events, ev({ type: "run.failed", durationMs: 9, error: { name: "X", message: "y" } })])!;
    expect(failed.status === "failed" && failed.error).toEqual({ name: "X", message: "y" });
    expect("output" in failed).toBe(false);
  });

  it("keeps a step's first start, its latest end, and the time its attempts queued for a concurrency slot", () => {
    seq = 0;
    const events = [
      ev({ type: "run.started", totalSteps: 1 }),
      ev({ type: "step.started", stepId: "a", attempt: 1, queuedMs: 40 }), // ts 1002: runnable at 962
      ev({ type: "step.failed", stepId: "a", attempt: 1, durationMs: 1, error: { name: "E", message: "x" } }),
      ev({ type: "step.retrying", stepId: "a", attempt: 1, delayMs: 0, nextAttempt: 2, error: { name: "E", message: "x" } }),
      ev({ type: "step.started", stepId: "a", attempt: 2, queuedMs: 5 }),
    ];
    const running = projectRun(events)!;
    expect(running.steps.a).toMatchObject({ status: "running", attempts: 2, startedAt: 1_002, queuedAt: 962, queuedMs: 45, endedAt: 1_003 });
    const done = projectRun([ev({ type: "step.completed", stepId: "a", attempt: 2, durationMs: 2 })], running)!;
    expect(done.steps.a).toMatchObject({ status: "completed", startedAt: 1_002, queuedAt: 962, queuedMs: 45, endedAt: 1_006 });
  });

  it("reduceRun gives the same state as projectRun, without changing its input", () => {
    seq = 0;
    const events = [
      ev({ type: "run.started", totalSteps: 1 }),
      ev({ type: "step.started", stepId: "a", attempt: 1 }),
      ev({ type: "step.completed", stepId: "a", attempt: 1, durationMs: 1, output: 1 }),
      ev({ type: "run.completed", output: 1, durationMs: 2 }),
    ];
    let state: RunState | undefined;
    const snapshots: string[] = [];
    for (const e of events) {
      const before = state === undefined ? undefined : JSON.stringify(state);
      const next = reduceRun(state, e);
      if (before !== undefined) expect(JSON.stringify(state)).toBe(before);
      state = next;
      snapshots.push(state!.status);
    }
    expect(state).toEqual(projectRun(events));
    expect(snapshots).toEqual(["running", "running", "running", "completed"]);
  });

  it("keys steps inside loops by id and path", () => {
    seq = 0;
    const state = projectRun([ev({ type: "run.started" }), ev({ type: "step.started", stepId: "sq", attempt: 1, path: [2] })])!;
    expect(Object.keys(state.steps)).toEqual(["sq@2"]);
  });
});

describe("a run handle answers with projections of its events", () => {
  it("progress(), variables() and state() equal the projections of the stored trail", async () => {
    const bus = createBus();
    const stored: RuntrailEvent[] = [];
    bus.onEvent((e) => stored.push(e));
    const w = workflow<number>("handle")
      .vars({ phase: "start" })
      .step("a", (ctx) => {
        ctx.vars.set("phase", "a");
        return ctx.input + 1;
      })
      .step("b", (ctx) => ctx.steps.a * 2, { needs: ["a"], when: "steps.a > 0.0" })
      .step("c", () => "never", { needs: ["a"], when: "steps.a < 0.0" })
      .build();
    const run = w.start(1, { bus });
    // The output is the last declared step's, and "c" was skipped.
    expect(await run.result).toBeUndefined();
    expect(run.progress()).toEqual({ completed: 2, failed: 0, skipped: 1, total: 3, percent: 100 });
    expect(run.variables()).toEqual({ phase: "a" });
    const state = run.state()!;
    expect(state.status).toBe("completed");
    expect(Object.fromEntries(Object.entries(state.steps).map(([k, s]) => [k, s.status]))).toEqual({ a: "completed", b: "completed", c: "skipped" });
    // A stored or replayed run gives the same answers.
    expect(projectRun(stored)).toEqual(state);
    expect(projectProgress(stored)).toEqual(run.progress());
    const emitted = stored.filter((e) => e.type === "progress.updated").at(-1);
    expect(emitted).toMatchObject({ progress: run.progress() });
  });

  it("runStream yields every event from run.started to the terminal one, and the result", async () => {
    const w = workflow<number>("streamed").step("a", async (ctx) => ctx.input * 3).build();
    const run = w.runStream(2);
    const types: string[] = [];
    for await (const e of run.events) types.push(e.type);
    expect(types).toEqual(["run.started", "wave.started", "step.started", "step.completed", "progress.updated", "wave.completed", "run.completed"]);
    expect(await run.result).toBe(6);
  });

  it("cancel() on a handle ends the run with run.cancelled", async () => {
    const w = workflow("cancel-me").step("wait", (ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve))).build();
    const run = w.start(undefined);
    setTimeout(() => run.cancel("enough"), 5);
    await expect(run.result).rejects.toMatchObject({ name: "RunCancelledError", reason: "enough" });
    expect(run.state()?.status).toBe("cancelled");
  });
});
