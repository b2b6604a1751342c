import { describe, expect, it } from "vitest";
import { validateEvent } from "runtrail";
import { workflow } from "../../src/engine/index.js";
import { range, recordingBus, trail } from "./engine-helpers.js";

describe("a linear run", () => {
  it("emits the exact trail: run, waves, steps, progress, run end; resolves with the last output", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow<number>("linear")
      .step("a", (ctx) => ctx.input + 1)
      .step("b", (ctx) => ctx.steps.a * 2, { needs: ["a"] })
      .build();
    const output = await wf.run(5, { bus, runId: "r1" });
    expect(output).toBe(12);
    expect(trail(events)).toEqual([
      ["run.started"],
      ["wave.started"],
      ["step.started", "a"],
      ["step.completed", "a"],
      ["progress.updated"],
      ["wave.completed"],
      ["wave.started"],
      ["step.started", "b"],
      ["step.completed", "b"],
      ["progress.updated"],
      ["wave.completed"],
      ["run.completed"],
    ]);
    expect(events.map((e) => e.seq)).toEqual(range(12));
    for (const e of events) expect(validateEvent(e)).toEqual([]);
    expect(events[0]).toMatchObject({ type: "run.started", runId: "r1", accountId: "default", workflow: { name: "linear" }, input: 5, totalSteps: 2 });
    expect(events[2]).toMatchObject({ type: "step.started", stepId: "a", attempt: 1 });
    expect(events[3]).toMatchObject({ type: "step.completed", stepId: "a", attempt: 1, output: 6 });
    expect(events[4]).toMatchObject({ progress: { completed: 1, failed: 0, skipped: 0, total: 2, percent: 50 } });
    expect(events[1]).toMatchObject({ wave: 0, stepIds: ["a"] });
    expect(events[6]).toMatchObject({ wave: 1, stepIds: ["b"] });
    expect(events[11]).toMatchObject({ type: "run.completed", output: 12 });
  });
});
