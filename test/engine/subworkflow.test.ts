import { describe, expect, it } from "vitest";
import { StepFailedError, workflow } from "../../src/engine/index.js";
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
});
