import { describe, expect, it } from "vitest";
import { validateEvent, type EventOf } from "../../src/events/index.js";
import { workflow } from "../../src/engine/index.js";
import { recordingBus, sleep } from "./engine-helpers.js";

describe("the graph on run.started and the queue time on step.started", () => {
  const child = workflow<number>("child", { version: "2" }).step("square", (ctx) => ctx.input * ctx.input).build();
  const body = workflow<number>("body")
    .step("double", (ctx) => ctx.input * 2)
    .step("check", (ctx) => ctx.steps.double, { needs: ["double"] })
    .build();
  const wf = workflow<number[]>("shapes")
    .step("load", (ctx) => ctx.input)
    .if("big", "size(steps.load) > 1", { then: ["each"], else: ["small"] }, { needs: ["load"] })
    .foreach("each", { items: "steps.load", do: body }, { needs: ["load"] })
    .step("small", () => "small")
    .subworkflow("sq", child, { needs: ["load"], input: () => 3 })
    .build();

  it("names every step, what it waits for, the if's arms, the loop bodies and sub-workflows: one frozen object for every run", async () => {
    const { bus, events } = recordingBus();
    await wf.run([1, 2], { bus, runId: "A" });
    await wf.run([1], { bus, runId: "B" });
    const started = events.filter((e): e is EventOf<"run.started"> => e.type === "run.started");
    const [a, child1, b] = [started.find((e) => e.runId === "A")!, started.find((e) => e.workflow.name === "child")!, started.find((e) => e.runId === "B")!];
    expect(a.graph).toEqual({
      steps: [
        { id: "load", kind: "step" },
        { id: "big", kind: "if", needs: ["load"], then: ["each"], else: ["small"] },
        { id: "each", kind: "foreach", needs: ["big", "load"] },
        { id: "double", kind: "step", in: ["each"] },
        { id: "check", kind: "step", needs: ["double"], in: ["each"] },
        { id: "small", kind: "step", needs: ["big"] },
        { id: "sq", kind: "workflow", needs: ["load"], workflow: { name: "child", version: "2" } },
      ],
    });
    expect(b.graph).toBe(a.graph);
    expect(Object.isFrozen(a.graph!.steps[1]!.then)).toBe(true);
    // The child run announces its own graph.
    expect(child1.graph).toEqual({ steps: [{ id: "square", kind: "step" }] });
    expect(validateEvent(JSON.parse(JSON.stringify(a)))).toEqual([]);
  });

  it("tells on step.started how long an attempt waited for one of the run's concurrency slots", async () => {
    const { bus, events } = recordingBus();
    const wide = workflow("wide")
      .step("root", () => 0)
      .step("a", () => sleep(40), { needs: ["root"] })
      .step("b", () => sleep(40), { needs: ["root"] })
      .step("c", () => sleep(40), { needs: ["root"] })
      .build();
    await wide.run(undefined, { bus, concurrency: 1 });
    const started = events.filter((e): e is EventOf<"step.started"> => e.type === "step.started");
    const queued = Object.fromEntries(started.map((e) => [e.stepId, e.queuedMs]));
    // root and a got a slot at once; b waited for a, c for a and b.
    expect(queued.root).toBeUndefined();
    expect(queued.a).toBeUndefined();
    expect(queued.b).toBeGreaterThanOrEqual(30);
    expect(queued.c).toBeGreaterThanOrEqual(queued.b! + 30);
    for (const e of started) expect(validateEvent(JSON.parse(JSON.stringify(e)))).toEqual([]);
  });
});
