import { describe, expect, it } from "vitest";
import { StepFailedError, workflow } from "../../src/engine/index.js";
import type { EventOf } from "../../src/events/index.js";
import { range, recordingBus, seqsByRun, steps } from "./engine-helpers.js";

describe("sub-workflows", () => {
  const child = workflow<number>("child")
    .step("square", (ctx) => ctx.input * ctx.input)
    .build();

  it("runs the child as its own run: parentRunId set, its own seq from 1, output back to the parent", async () => {
    const { bus, events } = recordingBus();
    const parent = workflow<number>("parent")
      .step("prep", (ctx) => ctx.input + 1)
      .subworkflow("sq", child, { needs: ["prep"], input: (s) => s.steps.prep as number })
      .step("done", (ctx) => `result ${ctx.steps.sq}`, { needs: ["sq"] })
      .build();
    expect(await parent.run(2, { bus, runId: "P", accountId: "acme" })).toBe("result 9");
    const childRunId = events.find((e) => e.workflow.name === "child")!.runId;
    expect(childRunId).not.toBe("P");
    const byRun = seqsByRun(events);
    expect(byRun.get(childRunId)).toEqual(range(byRun.get(childRunId)!.length));
    expect(byRun.get("P")).toEqual(range(byRun.get("P")!.length));
    const childEvents = events.filter((e) => e.runId === childRunId);
    expect(childEvents.every((e) => e.parentRunId === "P" && e.accountId === "acme")).toBe(true);
    expect(steps(events, childRunId)).toEqual([["run.started"], ["wave.started"], ["step.started", "square"], ["step.completed", "square"], ["wave.completed"], ["run.completed"]]);
    expect(childEvents[0]).toMatchObject({ type: "run.started", input: 3 });
    expect(events.find((e) => e.runId === "P" && e.type === "step.started" && e.stepId === "sq")).toMatchObject({ input: 3 });
    // The parent's step ends after the child run ends.
    const childEnd = events.findIndex((e) => e.runId === childRunId && e.type === "run.completed");
    const parentStep = events.findIndex((e) => e.runId === "P" && e.type === "step.completed" && e.stepId === "sq");
    expect(parentStep).toBeGreaterThan(childEnd);
  });

  it("a failing child fails the parent's step with the child's error", async () => {
    const { bus } = recordingBus();
    const broken = workflow("broken").step("boom", () => {
      throw new Error("child exploded");
    }).build();
    const parent = workflow("parent2").subworkflow("call", broken).build();
    const error = (await parent.run(undefined, { bus }).catch((e: unknown) => e)) as StepFailedError;
    expect(error).toBeInstanceOf(StepFailedError);
    expect(error.stepId).toBe("call");
    expect(error.error.name).toBe("StepFailedError");
    expect(error.error.message).toContain('failed at step "boom" (attempt 1): Error: child exploded');
  });

  it("names on every event of the child run the attempt of the parent's step that started it", async () => {
    const { bus, events } = recordingBus();
    let calls = 0;
    const flaky = workflow<number>("flaky").step("maybe", (ctx) => {
      if (calls++ === 0) throw new Error("first child run fails");
      return ctx.input;
    }).build();
    const parent = workflow<number>("retrying")
      .subworkflow("call", flaky, { retry: { attempts: 2, backoff: 1 } })
      .build();
    expect(await parent.run(7, { bus, runId: "P" })).toBe(7);
    const childRuns = [...new Set(events.filter((e) => e.parentRunId === "P").map((e) => e.runId))];
    expect(childRuns).toHaveLength(2);
    childRuns.forEach((runId, i) => {
      const trail = events.filter((e) => e.runId === runId);
      for (const event of trail) expect({ parentStepId: event.parentStepId, parentAttempt: event.parentAttempt, parentPath: event.parentPath }).toEqual({ parentStepId: "call", parentAttempt: i + 1, parentPath: undefined });
    });
    // The parent's own events carry none of it.
    expect(events.filter((e) => e.runId === "P").some((e) => "parentStepId" in e || "parentAttempt" in e)).toBe(false);
  });

  it("names the loop iteration of a sub-workflow step inside a foreach (parentPath)", async () => {
    const { bus, events } = recordingBus();
    const parent = workflow<number[]>("fan-out")
      .foreach("each", { items: (s) => s.input, do: workflow<number>("body").subworkflow("sq", child).build() })
      .build();
    expect(await parent.run([2, 3, 4], { bus, runId: "P" })).toEqual([4, 9, 16]);
    const starts = events.filter((e): e is EventOf<"run.started"> => e.type === "run.started" && e.parentRunId === "P");
    expect(starts.map((e) => [e.parentStepId, e.parentAttempt, e.parentPath, e.input]).sort()).toEqual([
      ["sq", 1, [0], 2],
      ["sq", 1, [1], 3],
      ["sq", 1, [2], 4],
    ]);
    // The child run's step starts on the same path as the parent's step that started it.
    for (const start of starts) {
      const parentStep = events.find((e) => e.runId === "P" && e.type === "step.started" && e.stepId === "sq" && JSON.stringify(e.path) === JSON.stringify(start.parentPath));
      expect(parentStep, `step sq at path ${JSON.stringify(start.parentPath)}`).toBeDefined();
      expect(events.filter((e) => e.runId === start.runId).every((e) => JSON.stringify(e.parentPath) === JSON.stringify(start.parentPath))).toBe(true);
    }
  });
});
