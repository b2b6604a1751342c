import { describe, expect, it } from "vitest";
import { validateEvent, type RuntrailEvent } from "runtrail";
import type { ControlContext, ControlDecision, ControlPort } from "../../src/control/control-types.js";
import { RunFailedError, RunVetoedError, StepFailedError, workflow } from "../../src/engine/index.js";
import { range, recordingBus, steps, trail } from "./engine-helpers.js";

/** A hand-written ControlPort: answers from a function, records every question. */
function port(answer: (event: RuntrailEvent, ctx: ControlContext) => ControlDecision | undefined) {
  const asked: { point: string; type: string; stepId?: string; attempt: number; historyLength: number; error?: string }[] = [];
  const control: ControlPort = {
    async check(event, ctx) {
      asked.push({
        point: ctx.point,
        type: event.type,
        ...(ctx.stepId === undefined ? {} : { stepId: ctx.stepId }),
        attempt: ctx.attempt,
        historyLength: ctx.history.length,
        ...(ctx.error === undefined ? {} : { error: ctx.error.message }),
      });
      return answer(event, ctx) ?? { signal: "proceed" };
    },
  };
  return { control, asked };
}

describe("control decision points", () => {
  it("asks before the run, before each step, with history so far", async () => {
    const { bus } = recordingBus();
    const { control, asked } = port(() => undefined);
    const wf = workflow("asks").step("a", () => 1).step("b", () => 2, { needs: ["a"] }).build();
    await wf.run(undefined, { bus, control });
    expect(asked).toEqual([
      { point: "before-run", type: "run.started", attempt: 1, historyLength: 1 },
      { point: "before-step", type: "step.started", stepId: "a", attempt: 1, historyLength: 3 },
      { point: "before-step", type: "step.started", stepId: "b", attempt: 1, historyLength: 8 },
    ]);
  });

  it("SKIP before a step: step.skipped with the handler and reason, and its value as output", async () => {
    const { bus, events } = recordingBus();
    const { control } = port((e) =>
      e.type === "step.started" && e.stepId === "price" ? { signal: "skip", value: 42, reason: "cached", handler: "cache" } : undefined,
    );
    const wf = workflow("skips")
      .step("price", () => 1)
      .step("double", (ctx) => ctx.steps.price * 2, { needs: ["price"] })
      .build();
    expect(await wf.run(undefined, { bus, control })).toBe(84);
    expect(steps(events).slice(1, 6)).toEqual([["wave.started"], ["step.started", "price"], ["step.skipped", "price"], ["wave.completed"], ["wave.started"]]);
    expect(events.find((e) => e.type === "step.skipped")).toMatchObject({ reason: "cached", decision: { handler: "cache", reason: "cached" }, output: 42 });
  });

  it("RETRY after a failure: step.retrying with nextAttempt and decision, attempts 1..3, seq continuous", async () => {
    const { bus, events } = recordingBus();
    const { control, asked } = port((e, ctx) =>
      e.type === "step.failed" && ctx.attempt < 3 ? { signal: "retry", delayMs: 1, reason: `attempt ${ctx.attempt} failed`, handler: "retry-3" } : undefined,
    );
    let calls = 0;
    const wf = workflow("retries")
      .step("flaky", (ctx) => {
        calls++;
        if (ctx.attempt < 3) throw new Error(`boom ${ctx.attempt}`);
        return `ok on ${ctx.attempt}`;
      })
      .build();
    expect(await wf.run(undefined, { bus, control })).toBe("ok on 3");
    expect(calls).toBe(3);
    const flaky = events.filter((e) => e.stepId === "flaky" && e.type.startsWith("step."));
    expect(flaky.map((e) => [e.type, e.attempt])).toEqual([
      ["step.started", 1],
      ["step.failed", 1],
      ["step.retrying", 1],
      ["step.started", 2],
      ["step.failed", 2],
      ["step.retrying", 2],
      ["step.started", 3],
      ["step.completed", 3],
    ]);
    const retrying = events.filter((e) => e.type === "step.retrying");
    expect(retrying.map((e) => (e.type === "step.retrying" ? [e.nextAttempt, e.delayMs, e.decision, e.error.message] : []))).toEqual([
      [2, 1, { handler: "retry-3", reason: "attempt 1 failed" }, "boom 1"],
      [3, 1, { handler: "retry-3", reason: "attempt 2 failed" }, "boom 2"],
    ]);
    expect(events.map((e) => e.seq)).toEqual(range(events.length));
    expect(asked.filter((a) => a.point === "after-step-failure").map((a) => [a.attempt, a.error])).toEqual([[1, "boom 1"], [2, "boom 2"]]);
    const progress = events.filter((e) => e.type === "progress.updated").map((e) => (e.type === "progress.updated" ? e.progress : undefined));
    expect(progress.at(-1)).toEqual({ completed: 1, failed: 0, skipped: 0, total: 1, percent: 100 });
  });

  it("FALLBACK after a failure: step.completed with the value and a fallback marker", async () => {
    const { bus, events } = recordingBus();
    const { control } = port((e) => (e.type === "step.failed" ? { signal: "fallback", value: "default", reason: "circuit open", handler: "breaker" } : undefined));
    const wf = workflow("fallbacks")
      .step("fetch", (): string => {
        throw new Error("timeout");
      })
      .build();
    expect(await wf.run(undefined, { bus, control })).toBe("default");
    expect(trail(events)).toEqual([
      ["run.started"],
      ["wave.started"],
      ["step.started", "fetch"],
      ["step.failed", "fetch"],
      ["progress.updated"],
      ["step.completed", "fetch"],
      ["progress.updated"],
      ["wave.completed"],
      ["run.completed"],
    ]);
    expect(events.find((e) => e.type === "step.completed")).toMatchObject({ output: "default", fallback: { handler: "breaker", reason: "circuit open" } });
    expect(events.filter((e) => e.type === "progress.updated").at(-1)).toMatchObject({ progress: { completed: 1, failed: 0, percent: 100 } });
  });

  it("FAIL after a failure: run.failed carries the decision; the error names the handler", async () => {
    const { bus, events } = recordingBus();
    const { control } = port((e) => (e.type === "step.failed" ? { signal: "fail", reason: "not retryable", handler: "policy" } : undefined));
    const wf = workflow("fails").step("a", () => {
      throw new Error("bad input");
    }).build();
    const error = (await wf.run(undefined, { bus, control, runId: "ff" }).catch((e: unknown) => e)) as StepFailedError;
    expect(error).toBeInstanceOf(StepFailedError);
    expect(error.decision).toEqual({ handler: "policy", reason: "not retryable" });
    expect(error.message).toBe('workflow "fails" run ff failed at step "a" (attempt 1): Error: bad input (failed by control handler "policy")');
    expect(events.at(-1)).toMatchObject({ type: "run.failed", decision: { handler: "policy", reason: "not retryable" } });
  });

  it("FAIL before a step: step.failed (ControlFailError) then run.failed with the decision", async () => {
    const { bus, events } = recordingBus();
    const { control } = port((e) => (e.type === "step.started" ? { signal: "fail", reason: "quota exceeded", handler: "quota" } : undefined));
    let ran = false;
    const wf = workflow("vetoed-step").step("a", () => (ran = true)).build();
    await expect(wf.run(undefined, { bus, control })).rejects.toBeInstanceOf(StepFailedError);
    expect(ran).toBe(false);
    expect(steps(events).filter(([t]) => t !== "progress.updated")).toEqual([["run.started"], ["wave.started"], ["step.started", "a"], ["step.failed", "a"], ["run.failed"]]);
    expect(events.find((e) => e.type === "step.failed")).toMatchObject({ error: { name: "ControlFailError", message: "quota exceeded" } });
    expect(events.at(-1)).toMatchObject({ decision: { handler: "quota", reason: "quota exceeded" } });
  });

  it("FAIL before the run: run.started then run.failed with the decision; nothing runs", async () => {
    const { bus, events } = recordingBus();
    const { control } = port((e) => (e.type === "run.started" ? { signal: "fail", reason: "account suspended", handler: "auth" } : undefined));
    const wf = workflow("vetoed").step("a", () => 1).build();
    const error = await wf.run(undefined, { bus, control, runId: "v" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunVetoedError);
    expect((error as Error).message).toBe('workflow "vetoed" run v was refused by control handler "auth": account suspended');
    expect(steps(events)).toEqual([["run.started"], ["run.failed"]]);
    expect(events[1]).toMatchObject({ error: { name: "RunVetoedError" }, decision: { handler: "auth", reason: "account suspended" } });
    for (const e of events) expect(validateEvent(e)).toEqual([]);
  });

  it("SKIP before the run: run.completed with the handler's value and decision", async () => {
    const { bus, events } = recordingBus();
    const { control } = port((e) => (e.type === "run.started" ? { signal: "skip", value: "cached result", reason: "dedup", handler: "dedup" } : undefined));
    const wf = workflow("deduped").step("a", () => 1).build();
    expect(await wf.run(undefined, { bus, control })).toBe("cached result");
    expect(steps(events)).toEqual([["run.started"], ["run.completed"]]);
    expect(events[1]).toMatchObject({ output: "cached result", decision: { handler: "dedup", reason: "dedup" } });
  });

  it("a step's own retry settings run as control's step retry policy, named retry:<step>", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("own-retry")
      .step("flaky", (ctx) => {
        if (ctx.attempt < 2) throw new Error("transient");
        return ctx.attempt;
      }, { retry: { attempts: 3, backoff: 1 } })
      .build();
    expect(await wf.run(undefined, { bus })).toBe(2);
    const retrying = events.find((e) => e.type === "step.retrying");
    expect(retrying).toMatchObject({ nextAttempt: 2, delayMs: 1, decision: { handler: "retry:flaky" } });
  });

  it("a step's retry settings give up after the attempts; the run fails with the last error", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("gives-up").step("never", (ctx): number => {
      throw new Error(`fail ${ctx.attempt}`);
    }, { retry: { attempts: 2, backoff: 0 } }).build();
    const error = (await wf.run(undefined, { bus }).catch((e: unknown) => e)) as StepFailedError;
    expect([error.attempt, error.error.message]).toEqual([2, "fail 2"]);
    expect(events.filter((e) => e.type.startsWith("step.")).map((e) => [e.type, e.attempt])).toEqual([
      ["step.started", 1],
      ["step.failed", 1],
      ["step.retrying", 1],
      ["step.started", 2],
      ["step.failed", 2],
    ]);
  });

  it("after a tool failure: RETRY calls again (tool.called names the handler), FALLBACK returns the value", async () => {
    const { bus, events } = recordingBus();
    const { control } = port((e, ctx) => {
      if (e.type !== "tool.failed") return undefined;
      if (e.tool.name === "geo" && ctx.attempt < 2) return { signal: "retry", delayMs: 0, handler: "tool-retry" };
      if (e.tool.name === "weather") return { signal: "fallback", value: { temp: null }, handler: "tool-fallback" };
      return undefined;
    });
    let geoCalls = 0;
    const wf = workflow("tool-control")
      .step("plan", async (ctx) => {
        const geo = await ctx.tool("geo", "Paris", () => {
          if (++geoCalls === 1) throw new Error("blip");
          return [48.8, 2.3];
        });
        const weather = await ctx.tool("weather", geo, () => {
          throw new Error("down");
        });
        return { geo, weather };
      })
      .build();
    expect(await wf.run(undefined, { bus, control })).toEqual({ geo: [48.8, 2.3], weather: { temp: null } });
    const tools = events.filter((e) => e.type.startsWith("tool."));
    expect(tools.map((e) => [e.type, (e as { tool: { name: string } }).tool.name])).toEqual([
      ["tool.called", "geo"],
      ["tool.failed", "geo"],
      ["tool.called", "geo"],
      ["tool.completed", "geo"],
      ["tool.called", "weather"],
      ["tool.failed", "weather"],
      ["tool.completed", "weather"],
    ]);
    expect(tools[2]).toMatchObject({ decision: { handler: "tool-retry" } });
    expect(tools[6]).toMatchObject({ result: { temp: null }, fallback: { handler: "tool-fallback" } });
    for (const e of events) expect(validateEvent(e)).toEqual([]);
  });

  it("a control port that throws fails the run with the reason", async () => {
    const { bus, events } = recordingBus();
    const control: ControlPort = {
      check: async (event) => {
        if (event.type === "step.started") throw new Error("policy store unreachable");
        return { signal: "proceed" };
      },
    };
    const wf = workflow("broken-control").step("a", () => 1).build();
    const error = await wf.run(undefined, { bus, control }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as Error).message).toContain("control failed at before-step: policy store unreachable");
    expect(events.at(-1)!.type).toBe("run.failed");
    expect(events.filter((e) => ["run.completed", "run.failed", "run.cancelled"].includes(e.type)).length).toBe(1);
  });
});

describe("with control's own manager (the ControlPort it implements)", () => {
  it("a registered handler's SKIP and a retry policy steer a run, each decision naming its handler", async () => {
    const { createControl, retryPolicy } = await import("../../src/control/index.js");
    const { bus, events } = recordingBus();
    const control = createControl();
    control.register((event) => (event.type === "step.started" && event.stepId === "optional" ? { signal: "skip", value: "n/a", reason: "feature off" } : undefined), {
      name: "feature-flags",
      eventTypes: ["step.started"],
    });
    control.use(retryPolicy({ maxAttempts: 2, initialDelayMs: 0 }));
    let calls = 0;
    const wf = workflow("managed")
      .step("optional", () => "on")
      .step("flaky", () => {
        if (++calls === 1) throw new Error("blip");
        return "ok";
      })
      .output((s) => [s.steps.optional, s.steps.flaky])
      .build();
    expect(await wf.run(undefined, { bus, control })).toEqual(["n/a", "ok"]);
    expect(events.find((e) => e.type === "step.skipped")).toMatchObject({ stepId: "optional", decision: { handler: "feature-flags", reason: "feature off" }, output: "n/a" });
    expect(events.find((e) => e.type === "step.retrying")).toMatchObject({ stepId: "flaky", nextAttempt: 2, decision: { handler: "retry" } });
  });
});
