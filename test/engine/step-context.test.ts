import { describe, expect, it } from "vitest";
import { validateEvent, type RuntrailEvent } from "runtrail";
import { StepFailedError, workflow } from "../../src/engine/index.js";
import { recordingBus, sleep, steps } from "./engine-helpers.js";

const only = <T extends RuntrailEvent["type"]>(events: RuntrailEvent[], type: T) =>
  events.filter((e): e is Extract<RuntrailEvent, { type: T }> => e.type === type);

describe("the step context", () => {
  it("gives input, runId, accountId, attempt, stepId and carries metrics and issues on step.completed", async () => {
    const { bus, events } = recordingBus();
    const seen: unknown[] = [];
    const wf = workflow<{ rows: number }>("ctx")
      .step("load", (ctx) => {
        seen.push([ctx.input, ctx.runId, ctx.accountId, ctx.attempt, ctx.stepId, ctx.path, ctx.signal.aborted]);
        ctx.metrics.rows = ctx.input.rows;
        ctx.metrics.ratio = 0.5;
        ctx.issues.push("Warning: short input");
        return ctx.input.rows * 2;
      })
      .build();
    await wf.run({ rows: 3 }, { bus, runId: "ctx-1", accountId: "acme" });
    expect(seen).toEqual([[{ rows: 3 }, "ctx-1", "acme", 1, "load", undefined, false]]);
    const [completed] = only(events, "step.completed");
    expect(completed).toMatchObject({ stepId: "load", accountId: "acme", output: 6, metrics: { rows: 3, ratio: 0.5 }, issues: ["Warning: short input"] });
    expect(events.every((e) => e.accountId === "acme")).toBe(true);
  });

  it("carries metrics and issues recorded before a failure on step.failed", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("fail-report")
      .step("style", (ctx) => {
        ctx.metrics.tags = 2;
        ctx.issues.push("Invalid SDS: missing genre");
        throw new RangeError("missing genre");
      })
      .build();
    await expect(wf.run(undefined, { bus })).rejects.toBeInstanceOf(StepFailedError);
    const [failed] = only(events, "step.failed");
    expect(failed).toMatchObject({ error: { name: "RangeError", message: "missing genre" }, metrics: { tags: 2 }, issues: ["Invalid SDS: missing genre"] });
  });

  it("ctx.timer(name) adds <name>_ms to metrics", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("timers")
      .step("compose", async (ctx) => {
        const merge = ctx.timer("merge");
        await sleep(5);
        const ms = merge.stop();
        ctx.timer("validate").stop();
        return ms;
      })
      .build();
    const ms = await wf.run(undefined, { bus });
    const [completed] = only(events, "step.completed");
    expect(Object.keys(completed!.metrics ?? {}).sort()).toEqual(["merge_ms", "validate_ms"]);
    expect(completed!.metrics!.merge_ms).toBe(ms);
    expect(ms).toBeGreaterThan(0);
  });

  it("ctx.emit sends x.* events stamped with the step; other types are refused", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("custom")
      .step("a", (ctx) => {
        ctx.emit("x.cache.hit", { key: "k1" });
        ctx.emit("x.ping");
        expect(() => ctx.emit("step.completed" as `x.${string}`)).toThrow('ctx.emit: custom event types start with "x." (got "step.completed")');
        return 1;
      })
      .build();
    await wf.run(undefined, { bus });
    expect(steps(events).slice(2, 6)).toEqual([["step.started", "a"], ["x.cache.hit", "a"], ["x.ping", "a"], ["step.completed", "a"]]);
    expect(events[3]).toMatchObject({ type: "x.cache.hit", data: { key: "k1" }, attempt: 1 });
    for (const e of events) expect(validateEvent(e)).toEqual([]);
  });

  it("ctx.vars get/set emits variable.changed {name, old, new} naming the step; identical values emit nothing", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("vars")
      .vars({ status: "new" })
      .step("a", (ctx) => {
        ctx.vars.set("status", "running");
        ctx.vars.set("status", "running");
        ctx.vars.set("count", 1);
        return [ctx.vars.get("status"), ctx.vars.has("count"), ctx.vars.has("nope"), ctx.vars.snapshot()];
      })
      .build();
    expect(await wf.run(undefined, { bus })).toEqual(["running", true, false, { status: "running", count: 1 }]);
    expect(only(events, "variable.changed").map((e) => [e.stepId, e.variable])).toEqual([
      [undefined, { name: "status", new: "new" }],
      ["a", { name: "status", old: "new", new: "running" }],
      ["a", { name: "count", new: 1 }],
    ]);
  });

  it("ctx.tool wraps a call: tool.called then tool.completed with duration; a throw gives tool.failed", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("tools")
      .step("search", async (ctx) => {
        const hits = await ctx.tool("search", { q: "runtrail" }, async (args) => [`${args.q}-1`, `${args.q}-2`]);
        try {
          await ctx.tool("broken", { id: 1 }, () => {
            throw new Error("503 from upstream");
          });
        } catch (error) {
          ctx.issues.push((error as Error).message);
        }
        return hits;
      })
      .build();
    expect(await wf.run(undefined, { bus, runId: "t" })).toEqual(["runtrail-1", "runtrail-2"]);
    expect(steps(events).slice(2, 8)).toEqual([
      ["step.started", "search"],
      ["tool.called", "search"],
      ["tool.completed", "search"],
      ["tool.called", "search"],
      ["tool.failed", "search"],
      ["step.completed", "search"],
    ]);
    expect(events[3]).toMatchObject({ tool: { name: "search", callId: "t:call-1" }, arguments: { q: "runtrail" } });
    expect(events[4]).toMatchObject({ tool: { name: "search", callId: "t:call-1" }, result: ["runtrail-1", "runtrail-2"] });
    expect(events[6]).toMatchObject({ tool: { name: "broken", callId: "t:call-2" }, error: { message: "503 from upstream" } });
    expect(typeof (events[4] as { durationMs: number }).durationMs).toBe("number");
    expect(events[7]).toMatchObject({ issues: ['tool "broken" failed: Error: 503 from upstream'] });
  });

  it("ctx.llm wraps a model call with model, prompt, response and normalised token usage", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("llm")
      .step("ask", async (ctx) => {
        const answer = await ctx.llm({ model: "gpt-test", prompt: "2+2?" }, async () => ({ text: "4", usage: { prompt_tokens: 5, completion_tokens: 1 } }));
        await ctx.llm({ model: "claude-test", prompt: "hi" }, async () => ({ text: "hello", usage: { input_tokens: 3, output_tokens: 2 } })).catch(() => undefined);
        await ctx.llm({ model: "down", prompt: "x" }, () => Promise.reject(new Error("rate limited"))).catch(() => undefined);
        return answer.text;
      })
      .build();
    expect(await wf.run(undefined, { bus, runId: "l" })).toBe("4");
    const types = steps(events).map(([t]) => t).filter((t) => t!.startsWith("llm."));
    expect(types).toEqual(["llm.requested", "llm.responded", "llm.requested", "llm.responded", "llm.requested", "llm.failed"]);
    const responded = only(events, "llm.responded");
    expect(responded.map((e) => [e.llm.model, e.usage])).toEqual([
      ["gpt-test", { promptTokens: 5, completionTokens: 1, totalTokens: 6 }],
      ["claude-test", { promptTokens: 3, completionTokens: 2, totalTokens: 5 }],
    ]);
    expect(only(events, "llm.requested")[0]).toMatchObject({ llm: { model: "gpt-test", callId: "l:call-1" }, prompt: "2+2?" });
    expect(only(events, "llm.failed")[0]).toMatchObject({ llm: { model: "down" }, error: { message: "rate limited" } });
    for (const e of events) expect(validateEvent(e)).toEqual([]);
  });
});
