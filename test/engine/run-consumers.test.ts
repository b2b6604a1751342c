/**
 * Every consumer of a run goes through the bus: a workflow's `onEvent` listeners, a run's
 * `onTransition` and the history a run handle keeps are bus listeners, isolated and reported by
 * the bus like any other (issue 13, item 2).
 */
import { describe, expect, it } from "vitest";
import { createBus, workflow, type ConsumerFailure, type RuntrailEvent } from "runtrail";

const twoSteps = () =>
  workflow<number>("two")
    .step("a", (ctx) => ctx.input + 1)
    .step("b", (ctx) => ctx.steps.a * 2, { needs: ["a"] })
    .build();

describe("a run's own consumers are bus consumers", () => {
  it("a throwing workflow listener is reported to the bus's onError and counted; the run completes", async () => {
    const failures: ConsumerFailure[] = [];
    const bus = createBus({ onError: (failure) => failures.push(failure) });
    const wf = twoSteps();
    wf.onEvent(function auditTrail(event) {
      if (event.type === "step.completed") throw new Error(`audit down at ${event.stepId}`);
    });
    await expect(wf.run(1, { bus })).resolves.toBe(4);
    expect(failures.map((f) => [f.consumer, f.name, f.kind, f.event?.type])).toEqual([
      ["listener", "auditTrail", "threw", "step.completed"],
      ["listener", "auditTrail", "threw", "step.completed"],
    ]);
    expect(bus.stats().listenerErrors).toBe(2);
  });

  it("a throwing onTransition is reported by the bus and leaves the bus once the run ended", async () => {
    const failures: ConsumerFailure[] = [];
    const bus = createBus({ onError: (failure) => failures.push(failure) });
    const seen: string[] = [];
    const output = await twoSteps().run(1, {
      bus,
      onTransition: (event) => {
        seen.push(event.type);
        if (event.type === "run.started") throw new Error("boom");
      },
    });
    expect(output).toBe(4);
    expect(seen).toEqual(["run.started", "step.started", "step.completed", "step.started", "step.completed", "run.completed"]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ consumer: "listener", name: "onTransition", kind: "threw" });
    expect(bus.stats().listeners).toBe(0);
  });

  it("workflow listeners see only their workflow's runs, sub-workflow runs by their own workflow's listeners", async () => {
    const bus = createBus();
    const child = workflow<number>("child").step("c", (ctx) => ctx.input + 10).build();
    const parent = workflow<number>("parent").subworkflow("sub", child).build();
    const other = twoSteps();
    const parentSaw: RuntrailEvent[] = [];
    const childSaw: RuntrailEvent[] = [];
    parent.onEvent((event) => parentSaw.push(event));
    child.onEvent((event) => childSaw.push(event));
    await Promise.all([parent.run(1, { bus }), other.run(1, { bus })]);
    expect(new Set(parentSaw.map((e) => e.workflow.name))).toEqual(new Set(["parent"]));
    expect(new Set(childSaw.map((e) => e.workflow.name))).toEqual(new Set(["child"]));
    expect(childSaw.at(-1)?.type).toBe("run.completed");
    expect(parentSaw.at(-1)?.type).toBe("run.completed");
  });

  it("a listener added while a run is in flight sees the rest of that run", async () => {
    const bus = createBus();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const wf = workflow("gated")
      .step("wait", () => gate)
      .step("after", () => 1, { needs: ["wait"] })
      .build();
    const run = wf.start(undefined, { bus });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const late: string[] = [];
    wf.onEvent((event) => late.push(`${event.type}${event.stepId === undefined ? "" : " " + event.stepId}`));
    release();
    await run.result;
    expect(late).toContain("step.completed after");
    expect(late.at(-1)).toBe("run.completed");
    expect(run.history().map((e) => e.seq)).toEqual(run.history().map((_, i) => i + 1));
  });
});
