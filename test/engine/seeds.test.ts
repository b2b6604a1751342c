/**
 * Each seed's documented usage example, adapted to Runtrail: the same questions answered from
 * the same trail, through the documented mappings where the old shape is wanted.
 */
import { describe, expect, it } from "vitest";
import { createBus, createHexdagMapper, toAimlEvent, toAmcsEvent, type AimlEvent, type RuntrailEvent } from "runtrail";
import { instrument, StepFailedError, workflow } from "../../src/engine/index.js";
import { recordingBus, sleep } from "./engine-helpers.js";

describe("seed 000 (AIML runtime)", () => {
  const approval = () =>
    workflow<{ amount: number }>("approval")
      .step("check", (ctx) => ctx.input.amount, { tag: "validate", key: "check-1" })
      .step("approve", () => "approved", { needs: ["check"], when: "steps.check < 1000.0" })
      .step("fail-big", (ctx): string => {
        if (ctx.input.amount > 5000) throw new Error("too big");
        return "ok";
      }, { needs: ["check"] })
      .build();

  it("basic monitoring: workflow.onEvent sees step transitions and condition checks; unsubscribe stops it", async () => {
    const wf = approval();
    const log: string[] = [];
    const unsubscribe = wf.onEvent((event) => {
      const old = toAimlEvent(event);
      if (old?.type === "step_transition") log.push(`Step ${old.stepId} -> ${old.status}`);
      else if (old?.type === "condition_check") log.push(`Condition ${old.conditionType}: ${String(old.result)}`);
    });
    await wf.run({ amount: 10 }, { accountId: "account-123" });
    expect(log).toEqual([
      "Step check -> entering",
      "Step check -> success",
      "Condition when: true",
      "Step approve -> entering",
      "Step approve -> success",
      "Step fail-big -> entering",
      "Step fail-big -> success",
    ]);
    unsubscribe();
    await wf.run({ amount: 10 });
    expect(log.length).toBe(7);
  });

  it("event analytics: counts transitions, condition checks, failed and successful steps", async () => {
    const bus = createBus();
    const analytics = { stepTransitions: 0, conditionChecks: 0, failedSteps: 0, successfulSteps: 0 };
    bus.onEvent((event) => {
      const old = toAimlEvent(event);
      if (old?.type === "step_transition") {
        analytics.stepTransitions++;
        if (old.status === "failed") analytics.failedSteps++;
        if (old.status === "success") analytics.successfulSteps++;
      } else if (old?.type === "condition_check") analytics.conditionChecks++;
    });
    const wf = approval();
    await wf.run({ amount: 10 }, { bus });
    await wf.run({ amount: 9000 }, { bus }).catch(() => undefined);
    // Run 1: 3 entering + 3 success; run 2: check enters and succeeds, approve skipped, fail-big enters and fails.
    expect(analytics).toEqual({ stepTransitions: 10, conditionChecks: 2, failedSteps: 1, successfulSteps: 4 });
  });

  it("performance metrics: step durations from entering/success timestamps, plus durationMs in metadata", async () => {
    const wf = workflow("perf")
      .step("slow", async () => sleep(15))
      .step("fast", () => 1, { needs: ["slow"] })
      .build();
    const stepTimes = new Map<string, Date>();
    const recorded = new Map<string, number>();
    const reported = new Map<string, number>();
    wf.onEvent((event) => {
      const old = toAimlEvent(event);
      if (old?.type !== "step_transition") return;
      if (old.status === "entering") stepTimes.set(old.stepId, old.timestamp);
      else if (old.status === "success" || old.status === "failed") {
        const startTime = stepTimes.get(old.stepId);
        if (startTime) {
          recorded.set(old.stepId, old.timestamp.getTime() - startTime.getTime());
          stepTimes.delete(old.stepId);
        }
        reported.set(old.stepId, old.metadata?.duration ?? -1);
      }
    });
    await wf.run(undefined);
    expect([...recorded.keys()]).toEqual(["slow", "fast"]);
    expect(recorded.get("slow")!).toBeGreaterThanOrEqual(10);
    expect(reported.get("slow")!).toBeGreaterThanOrEqual(10);
    expect(stepTimes.size).toBe(0);
  });

  it("event persistence: an event log queried by run and by account; seq restarts at 1 per run", async () => {
    const bus = createBus();
    const eventLog: RuntrailEvent[] = [];
    bus.onEvent((event) => eventLog.push(event));
    const wf = approval();
    await wf.run({ amount: 1 }, { bus, runId: "specific-run-id", accountId: "account-123" });
    await wf.run({ amount: 2 }, { bus, runId: "other-run", accountId: "account-456" });
    const runEvents = eventLog.filter((e) => e.runId === "specific-run-id");
    const accountEvents = eventLog.filter((e) => e.accountId === "account-123");
    expect(runEvents).toEqual(accountEvents);
    expect(runEvents.map((e) => e.seq)).toEqual(runEvents.map((_, i) => i + 1));
    const other = eventLog.filter((e) => e.runId === "other-run");
    expect(other[0]!.seq).toBe(1);
    expect(JSON.parse(JSON.stringify(runEvents))).toEqual(runEvents);
    const old = runEvents.map(toAimlEvent).filter((e): e is AimlEvent => e !== undefined);
    expect(old[0]).toMatchObject({ type: "step_transition", stepId: "check", status: "entering", accountId: "account-123", metadata: { stepKey: "check-1", stepTag: "validate" } });
  });

  it("callback errors are isolated: a throwing onEvent listener does not affect the run", async () => {
    const wf = approval();
    const seen: string[] = [];
    wf.onEvent(() => {
      throw new Error("listener bug");
    });
    wf.onEvent((e) => seen.push(e.type));
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      expect(await wf.run({ amount: 1 })).toBe("ok");
    } finally {
      console.warn = warn;
    }
    expect(seen.at(-1)).toBe("run.completed");
  });

  it("runtime options: onTransition, onComplete and onError", async () => {
    const transitions: string[] = [];
    let completed: unknown;
    let failed: unknown;
    const wf = approval();
    await wf.run({ amount: 1 }, { onTransition: (e) => transitions.push(e.type), onComplete: (out) => (completed = out) });
    expect(transitions).toEqual(["run.started", "step.started", "step.completed", "step.started", "step.completed", "step.started", "step.completed", "run.completed"]);
    expect(completed).toBe("ok");
    await wf.run({ amount: 9000 }, { onError: (e) => (failed = e) }).catch(() => undefined);
    expect(failed).toBeInstanceOf(StepFailedError);
  });
});

describe("seed 001 (goflow monitor)", () => {
  it("filtered subscription: only node events of the named nodes", async () => {
    const bus = createBus();
    const wf = workflow("monitored")
      .step("critical-node-1", () => 1)
      .step("other", () => 2)
      .step("critical-node-2", () => 3, { needs: ["critical-node-1"] })
      .build();
    const subscription = bus.subscribe({ type: ["step.started", "step.completed"], stepId: ["critical-node-1", "critical-node-2"] });
    const run = wf.runStream(undefined, { bus, runId: "g1" });
    const received: string[] = [];
    const reading = (async () => {
      for await (const event of subscription) {
        received.push(`${event.type} ${event.stepId!}`);
        if (received.length === 4) break;
      }
    })();
    for await (const _ of run.events) void _;
    await reading;
    expect(received).toEqual([
      "step.started critical-node-1",
      "step.completed critical-node-1",
      "step.started critical-node-2",
      "step.completed critical-node-2",
    ]);
  });

  it("progress monitoring: poll progress() while the run goes, until 100%", async () => {
    let builder = workflow("polled").step("n0", () => sleep(3));
    for (let i = 1; i < 5; i++) builder = builder.step(`n${i}`, () => sleep(3), { needs: [`n${i - 1}` as "n0"] });
    const run = builder.build().start(undefined);
    const seen: number[] = [];
    for (;;) {
      const progress = run.progress();
      seen.push(progress.percent);
      if (progress.percent >= 100) break;
      await sleep(1);
    }
    await run.result;
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(100);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(new Set(seen)).toEqual(new Set([0, 20, 40, 60, 80, 100]));
    expect(run.progress()).toEqual({ completed: 5, failed: 0, skipped: 0, total: 5, percent: 100 });
  });

  it("variable watching: variable.changed events and the snapshot projection", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow("vars").vars({ count: 0 }).step("inc", (ctx) => ctx.vars.set("count", 1)).step("label", (ctx) => ctx.vars.set("label", "done"), { needs: ["inc"] }).build();
    const run = wf.start(undefined, { bus });
    await run.result;
    expect(events.filter((e) => e.type === "variable.changed").map((e) => (e.type === "variable.changed" ? e.variable.name : ""))).toEqual(["count", "count", "label"]);
    expect(run.variables()).toEqual({ count: 1, label: "done" });
  });
});

describe("seed 003 (AMCS): the six patterns", () => {
  const amcs = (events: RuntrailEvent[]) => events.map(toAmcsEvent).filter((e) => e !== undefined);

  it("patterns 1-5 inside the engine: ctx.metrics, ctx.issues, exceptions and ctx.timer", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow<{ lines: number }>("amcs")
      .step("PLAN", () => ({ sections: 3 }))
      .step("LYRICS", (ctx) => {
        ctx.metrics.lines_generated = ctx.input.lines;
        ctx.metrics.citations = 2;
        if (ctx.input.lines < 10) ctx.issues.push("Warning: short lyrics");
        return { lines: ctx.input.lines };
      }, { needs: ["PLAN"] })
      .step("COMPOSE", async (ctx) => {
        const merge = ctx.timer("merge");
        await sleep(2);
        merge.stop();
        ctx.timer("validate").stop();
        ctx.metrics.total_chars = 120;
        return "composed";
      }, { needs: ["LYRICS"] })
      .step("STYLE", (ctx) => {
        ctx.issues.push("Invalid SDS: no genre");
        throw new Error("no genre");
      }, { needs: ["COMPOSE"] })
      .build();
    await wf.run({ lines: 4 }, { bus, runId: "amcs-1" }).catch(() => undefined);
    const rows = amcs(events).map((r) => [r.node, r.phase, r.metrics, r.issues]);
    expect(rows).toEqual([
      ["PLAN", "start", {}, []],
      ["PLAN", "end", {}, []],
      ["LYRICS", "start", {}, []],
      ["LYRICS", "end", { lines_generated: 4, citations: 2 }, ["Warning: short lyrics"]],
      ["COMPOSE", "start", {}, []],
      ["COMPOSE", "end", expect.objectContaining({ total_chars: 120, merge_ms: expect.any(Number), validate_ms: expect.any(Number) }), []],
      ["STYLE", "start", {}, []],
      ["STYLE", "fail", {}, ["Invalid SDS: no genre", "no genre"]],
    ]);
    const compose = amcs(events).find((r) => r.node === "COMPOSE" && r.phase === "end")!;
    expect(compose.metrics.merge_ms).toBeGreaterThanOrEqual(1);
  });

  it("instrument(): the skill_execution pattern outside the engine, including failure and disabled events", async () => {
    const { bus, events } = recordingBus();
    const runId = "skill-run";
    const plan = await instrument({ bus, runId, workflow: "amcs", stepId: "PLAN" }, () => ({ plan: true }));
    expect(plan).toEqual({ plan: true });
    const validated = await instrument({ bus, runId, workflow: "amcs", stepId: "VALIDATE" }, async (state) => {
      const scores = { hook_density: 0.5, profanity_score: 0 };
      if (scores.hook_density < 0.7) state.issues.push(`Low hook density: ${scores.hook_density.toFixed(2)}`);
      Object.assign(state.metrics, scores);
      const t = state.timer("score");
      t.stop();
      return scores;
    });
    expect(validated.hook_density).toBe(0.5);
    await expect(
      instrument({ bus, runId, workflow: "amcs", stepId: "STYLE" }, (state) => {
        state.metrics.tags_generated = 0;
        throw new Error("Invalid SDS");
      }),
    ).rejects.toThrow("Invalid SDS");
    const before = events.length;
    expect(await instrument({ bus, runId, workflow: "amcs", stepId: "FIX", enabled: false }, (state) => {
      state.metrics.fixes_applied = 2;
      return "fixed";
    })).toBe("fixed");
    expect(events.length).toBe(before);
    const rows = amcs(events).map((r) => [r.node, r.phase, Object.keys(r.metrics).sort(), r.issues]);
    expect(rows).toEqual([
      ["PLAN", "start", [], []],
      ["PLAN", "end", [], []],
      ["VALIDATE", "start", [], []],
      ["VALIDATE", "end", ["hook_density", "profanity_score", "score_ms"], ["Low hook density: 0.50"]],
      ["STYLE", "start", [], []],
      ["STYLE", "fail", ["tags_generated"], ["Invalid SDS"]],
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("seed 004 (hexDAG)", () => {
  it("the two-node DAG 5 → 6 → 12, with wave and pipeline events", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow<number>("two-node")
      .step("add_one", (ctx) => ctx.input + 1)
      .step("double", (ctx) => ctx.steps.add_one * 2, { needs: ["add_one"] })
      .build();
    expect(await wf.run(5, { bus })).toBe(12);
    const hexdag = createHexdagMapper();
    const old = events.map((e) => hexdag.map(e)).filter((e) => e !== undefined);
    expect(old.map((e) => e.kind)).toEqual([
      "PipelineStarted",
      "WaveStarted",
      "NodeStarted",
      "NodeCompleted",
      "WaveCompleted",
      "WaveStarted",
      "NodeStarted",
      "NodeCompleted",
      "WaveCompleted",
      "PipelineCompleted",
    ]);
    const outputs = events.filter((e) => e.type === "step.completed").map((e) => (e.type === "step.completed" ? [e.stepId, e.output] : []));
    expect(outputs).toEqual([["add_one", 6], ["double", 12]]);
    expect(events.filter((e) => e.type === "wave.started").map((e) => (e.type === "wave.started" ? e.stepIds : []))).toEqual([["add_one"], ["double"]]);
  });
});
