import { describe, expect, it } from "vitest";
import { validateEvent, type RuntrailEvent } from "runtrail";
import { RunCancelledError, StepFailedError, workflow } from "../../src/engine/index.js";
import { range, recordingBus, seqsByRun, sleep, steps, trail } from "./engine-helpers.js";

describe("the wave scheduler", () => {
  it("runs a diamond DAG as three waves, b and c in parallel", async () => {
    const { bus, events } = recordingBus();
    const order: string[] = [];
    const wf = workflow<number>("diamond")
      .step("a", async (ctx) => ctx.input)
      .step("b", async (ctx) => {
        order.push("b start");
        await sleep(5);
        order.push("b end");
        return ctx.steps.a + 1;
      }, { needs: ["a"] })
      .step("c", async (ctx) => {
        order.push("c start");
        await sleep(1);
        order.push("c end");
        return ctx.steps.a + 2;
      }, { needs: ["a"] })
      .step("d", (ctx) => ctx.steps.b * ctx.steps.c, { needs: ["b", "c"] })
      .build();
    expect(await wf.run(1, { bus })).toBe(6);
    expect(order).toEqual(["b start", "c start", "c end", "b end"]);
    expect(steps(events)).toEqual([
      ["run.started"],
      ["wave.started"],
      ["step.started", "a"],
      ["step.completed", "a"],
      ["wave.completed"],
      ["wave.started"],
      ["step.started", "b"],
      ["step.started", "c"],
      ["step.completed", "c"],
      ["step.completed", "b"],
      ["wave.completed"],
      ["wave.started"],
      ["step.started", "d"],
      ["step.completed", "d"],
      ["wave.completed"],
      ["run.completed"],
    ]);
    const waves = events.filter((e) => e.type === "wave.started").map((e) => (e.type === "wave.started" ? [e.wave, e.stepIds] : []));
    expect(waves).toEqual([[0, ["a"]], [1, ["b", "c"]], [2, ["d"]]]);
    expect(events.map((e) => e.seq)).toEqual(range(events.length));
  });

  it("a failing step fails the run with step.failed then run.failed, and rejects naming the step", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("fails")
      .step("a", () => 1)
      .step("b", () => {
        throw new Error("disk full");
      }, { needs: ["a"] })
      .step("c", () => 3, { needs: ["b"] })
      .build();
    const error = await wf.run(undefined, { bus, runId: "f1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailedError);
    const failure = error as StepFailedError;
    expect(failure.stepId).toBe("b");
    expect(failure.attempt).toBe(1);
    expect(failure.error.message).toBe("disk full");
    expect(failure.message).toBe('workflow "fails" run f1 failed at step "b" (attempt 1): Error: disk full');
    expect(steps(events)).toEqual([
      ["run.started"],
      ["wave.started"],
      ["step.started", "a"],
      ["step.completed", "a"],
      ["wave.completed"],
      ["wave.started"],
      ["step.started", "b"],
      ["step.failed", "b"],
      ["run.failed"],
    ]);
    const runFailed = events.at(-1)!;
    expect(runFailed).toMatchObject({ type: "run.failed", error: { name: "StepFailedError", message: failure.message } });
    expect(events.find((e) => e.type === "step.failed")).toMatchObject({ error: { name: "Error", message: "disk full" }, attempt: 1 });
    for (const e of events) expect(validateEvent(e)).toEqual([]);
  });

  it("a when guard that is false: condition.evaluated, then step.skipped with the reason; dependents skip too", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow<{ amount: number }>("guarded")
      .step("a", (ctx) => ctx.input.amount)
      .step("b", () => "big", { needs: ["a"], when: "steps.a > 100.0" })
      .step("c", () => "after b", { needs: ["b"] })
      .step("d", () => "always", { needs: ["a"] })
      .build();
    await wf.run({ amount: 5 }, { bus });
    expect(steps(events)).toEqual([
      ["run.started"],
      ["wave.started"],
      ["step.started", "a"],
      ["step.completed", "a"],
      ["wave.completed"],
      ["wave.started"],
      ["condition.evaluated", "b"],
      ["step.skipped", "b"],
      ["step.started", "d"],
      ["step.completed", "d"],
      ["wave.completed"],
      ["wave.started"],
      ["step.skipped", "c"],
      ["wave.completed"],
      ["run.completed"],
    ]);
    expect(events.find((e) => e.type === "condition.evaluated")).toMatchObject({
      conditionId: "b",
      kind: "when",
      expression: "steps.a > 100.0",
      result: false,
      scope: { input: { amount: 5 }, steps: { a: 5 }, vars: {} },
    });
    const skipped = events.filter((e) => e.type === "step.skipped").map((e) => (e.type === "step.skipped" ? e.reason : ""));
    expect(skipped).toEqual(['when "steps.a > 100.0" was false', 'every step it needs was skipped ("b")']);
    const last = events.filter((e) => e.type === "progress.updated").at(-1);
    expect(last).toMatchObject({ progress: { completed: 2, skipped: 2, failed: 0, total: 4, percent: 100 } });
  });

  it("if/else: the taken arm runs, the other is skipped, a join after both runs", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow<{ amount: number }>("branch")
      .if("big", (s) => s.input.amount > 1000, { then: ["review"], else: ["auto"] })
      .step("review", () => "reviewed")
      .step("auto", () => "auto-approved")
      .step("notify", (ctx) => ctx.steps.review ?? ctx.steps.auto, { needs: ["review", "auto"] })
      .build();
    expect(await wf.run({ amount: 10 }, { bus })).toBe("auto-approved");
    expect(steps(events)).toEqual([
      ["run.started"],
      ["wave.started"],
      ["step.started", "big"],
      ["condition.evaluated", "big"],
      ["condition.evaluated", "big"],
      ["step.completed", "big"],
      ["wave.completed"],
      ["wave.started"],
      ["step.skipped", "review"],
      ["step.started", "auto"],
      ["step.completed", "auto"],
      ["wave.completed"],
      ["wave.started"],
      ["step.started", "notify"],
      ["step.completed", "notify"],
      ["wave.completed"],
      ["run.completed"],
    ]);
    const conditions = events.filter((e) => e.type === "condition.evaluated");
    expect(conditions.map((e) => (e.type === "condition.evaluated" ? [e.kind, e.expression, e.result] : []))).toEqual([
      ["if", "function", false],
      ["else", "!(function)", true],
    ]);
    expect(events.find((e) => e.type === "step.skipped")).toMatchObject({ reason: 'branch not taken: "big" was false' });

    const taken: RuntrailEvent[] = [];
    wf.onEvent((e) => taken.push(e));
    expect(await wf.run({ amount: 5000 })).toBe("reviewed");
    expect(steps(taken).filter(([t]) => t === "step.skipped" || t === "condition.evaluated")).toEqual([
      ["condition.evaluated", "big"],
      ["step.skipped", "auto"],
    ]);
  });

  it("a while loop runs its body until the condition is false, with path on the body's events", async () => {
    const { bus, events } = recordingBus();
    const body = workflow("tick").step("inc", (ctx) => {
      const n = (ctx.vars.get<number>("n") ?? 0) + 1;
      ctx.vars.set("n", n);
      return n;
    }).build();
    const wf = workflow("counter").vars({ n: 0 }).while("loop", { condition: "vars.n < 2.0", max: 5, do: body }).build();
    expect(await wf.run(undefined, { bus })).toEqual([1, 2]);
    expect(steps(events)).toEqual([
      ["run.started"],
      ["variable.changed"],
      ["wave.started"],
      ["step.started", "loop"],
      ["loop.started", "loop"],
      ["condition.evaluated", "loop"],
      ["loop.iteration", "loop"],
      ["wave.started"],
      ["step.started", "inc"],
      ["variable.changed", "inc"],
      ["step.completed", "inc"],
      ["wave.completed"],
      ["condition.evaluated", "loop"],
      ["loop.iteration", "loop"],
      ["wave.started"],
      ["step.started", "inc"],
      ["variable.changed", "inc"],
      ["step.completed", "inc"],
      ["wave.completed"],
      ["condition.evaluated", "loop"],
      ["loop.completed", "loop"],
      ["step.completed", "loop"],
      ["wave.completed"],
      ["run.completed"],
    ]);
    const inc = events.filter((e) => e.stepId === "inc" && e.type === "step.completed");
    expect(inc.map((e) => e.path)).toEqual([[0], [1]]);
    const changes = events.filter((e) => e.type === "variable.changed").map((e) => (e.type === "variable.changed" ? e.variable : undefined));
    expect(changes).toEqual([{ name: "n", new: 0 }, { name: "n", old: 0, new: 1 }, { name: "n", old: 1, new: 2 }]);
    const results = events.filter((e) => e.type === "condition.evaluated").map((e) => (e.type === "condition.evaluated" ? e.result : undefined));
    expect(results).toEqual([true, true, false]);
    expect(events.find((e) => e.type === "loop.completed")).toMatchObject({ loopId: "loop", iterations: 2 });
  });

  it("a while loop that would pass its max fails the run", async () => {
    const body = workflow("noop").step("x", () => 1).build();
    const wf = workflow("runaway").while("loop", { condition: "true", max: 3, do: body }).build();
    const error = (await wf.run(undefined).catch((e: unknown) => e)) as StepFailedError;
    expect(error).toBeInstanceOf(StepFailedError);
    expect(error.stepId).toBe("loop");
    expect(error.error.name).toBe("LoopLimitError");
    expect(error.error.message).toBe('while loop "loop" reached its max of 3 iterations and its condition "true" still holds');
  });

  it("foreach with concurrency 3 never has more than 3 iterations in flight, and keeps output order", async () => {
    const { bus, events } = recordingBus();
    let inFlight = 0;
    let most = 0;
    const body = workflow<number>("square").step("sq", async (ctx) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(ctx.input % 2 === 0 ? 4 : 1);
      inFlight--;
      return ctx.input * ctx.input;
    }).build();
    const wf = workflow<number[]>("squares").foreach("each", { items: "input", concurrency: 3, do: body }).build();
    expect(await wf.run([1, 2, 3, 4, 5, 6, 7], { bus })).toEqual([1, 4, 9, 16, 25, 36, 49]);
    expect(most).toBe(3);
    const iterations = events.filter((e) => e.type === "loop.iteration").map((e) => (e.type === "loop.iteration" ? [e.iteration.index, e.iteration.item, e.path] : []));
    expect(iterations).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [i, i + 1, [i]]));
    const started = events.filter((e) => e.type === "loop.started")[0];
    expect(started).toMatchObject({ loopId: "each", kind: "foreach", total: 7 });
    expect(events.filter((e) => e.type === "step.completed" && e.stepId === "sq").length).toBe(7);
    expect(steps(events).slice(0, 6)).toEqual([["run.started"], ["wave.started"], ["step.started", "each"], ["loop.started", "each"], ["loop.iteration", "each"], ["wave.started"]]);
    expect(steps(events).slice(-4)).toEqual([["loop.completed", "each"], ["step.completed", "each"], ["wave.completed"], ["run.completed"]]);
    expect(seqsByRun(events).get(events[0]!.runId)).toEqual(range(events.length));
  });

  it("cancelling stops scheduling, aborts the running step's signal and ends with run.cancelled", async () => {
    const { bus, events } = recordingBus();
    const controller = new AbortController();
    let sawAbort = false;
    const wf = workflow("cancellable")
      .step("slow", (ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            sawAbort = true;
            resolve("late");
          });
        }))
      .step("never", () => "x", { needs: ["slow"] })
      .build();
    const result = wf.run(undefined, { bus, signal: controller.signal, runId: "c1" });
    await sleep(5);
    controller.abort("user pressed stop");
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunCancelledError);
    expect((error as RunCancelledError).reason).toBe("user pressed stop");
    expect(sawAbort).toBe(true);
    expect(steps(events)).toEqual([
      ["run.started"],
      ["wave.started"],
      ["step.started", "slow"],
      ["step.failed", "slow"],
      ["run.cancelled"],
    ]);
    expect(events.at(-1)).toMatchObject({ type: "run.cancelled", reason: "user pressed stop" });
    expect(events.find((e) => e.type === "step.failed")).toMatchObject({ error: { name: "AbortError", message: 'step "slow" was abandoned: workflow "cancellable" run c1 was cancelled: user pressed stop' } });
    await sleep(5);
    expect(events.at(-1)!.type).toBe("run.cancelled");
  });

  it("a step past its timeoutMs fails with StepTimeoutError and sees its signal abort", async () => {
    const { bus, events } = recordingBus();
    let aborted: unknown;
    const wf = workflow("timeouts")
      .step("stuck", (ctx) =>
        new Promise(() => {
          ctx.signal.addEventListener("abort", () => (aborted = ctx.signal.reason));
        }), { timeoutMs: 20 })
      .build();
    const error = (await wf.run(undefined, { bus, runId: "t1" }).catch((e: unknown) => e)) as StepFailedError;
    expect(error).toBeInstanceOf(StepFailedError);
    expect(error.message).toBe('workflow "timeouts" run t1 failed at step "stuck" (attempt 1): StepTimeoutError: step "stuck" timed out after 20 ms');
    expect((aborted as Error).name).toBe("StepTimeoutError");
    expect(steps(events)).toEqual([["run.started"], ["wave.started"], ["step.started", "stuck"], ["step.failed", "stuck"], ["run.failed"]]);
    expect(events.find((e) => e.type === "step.failed")).toMatchObject({ error: { name: "StepTimeoutError", retryable: true } });
  });

  it("a run past its timeoutMs fails with RunTimeoutError", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("slow-run").step("a", () => sleep(200)).build();
    const error = await wf.run(undefined, { bus, timeoutMs: 20, runId: "rt" }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("RunTimeoutError");
    expect((error as Error).message).toBe('workflow "slow-run" run rt timed out after 20 ms');
    expect(steps(events)).toEqual([["run.started"], ["wave.started"], ["step.started", "a"], ["step.failed", "a"], ["run.failed"]]);
  });

  it("keeps seq gap-free with 50 parallel steps", async () => {
    const { bus, events } = recordingBus();
    let builder = workflow("fan").step("root", () => 0);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids.push(`p${i}`);
      builder = builder.step(`p${i}`, async () => {
        await sleep(i % 7);
        return i;
      }, { needs: ["root"] });
    }
    const wf = builder.build();
    await wf.run(undefined, { bus });
    expect(events.map((e) => e.seq)).toEqual(range(events.length));
    expect(events.filter((e) => e.type === "step.completed").length).toBe(51);
    expect(events.find((e) => e.type === "wave.started" && e.wave === 1)).toMatchObject({ stepIds: ids });
  });

  it("two runs of one workflow at once number their events 1..n independently", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow<number>("twice")
      .step("a", async (ctx) => {
        await sleep(ctx.input);
        return ctx.input;
      })
      .step("b", (ctx) => ctx.steps.a, { needs: ["a"] })
      .build();
    const [x, y] = await Promise.all([wf.run(3, { bus, runId: "x" }), wf.run(1, { bus, runId: "y" })]);
    expect([x, y]).toEqual([3, 1]);
    const byRun = seqsByRun(events);
    expect(byRun.get("x")).toEqual(range(12));
    expect(byRun.get("y")).toEqual(range(12));
    expect(trail(events, "x")).toEqual(trail(events, "y"));
    // The two runs really interleaved.
    expect(events.slice(0, 12).every((e) => e.runId === "x")).toBe(false);
  });

  it("runs a 10,000-step linear chain", async () => {
    let builder = workflow<number>("long").step("s0", (ctx) => ctx.input);
    for (let i = 1; i < 10_000; i++) builder = builder.step(`s${i}`, (ctx) => (ctx.steps[`s${i - 1}` as "s0"] as number) + 1, { needs: [`s${i - 1}` as "s0"] });
    const wf = builder.build();
    let count = 0;
    wf.onEvent(() => count++);
    expect(await wf.run(0)).toBe(9_999);
    expect(count).toBe(1 + 10_000 * 5 + 1);
  });
});
