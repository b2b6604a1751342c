import { describe, expect, it } from "vitest";
import type { RuntrailEvent } from "runtrail";
import { workflow } from "../../src/engine/index.js";
import { recordingBus } from "./engine-helpers.js";

const scopes = (events: readonly RuntrailEvent[]): unknown[] =>
  events.flatMap((e) => (e.type === "condition.evaluated" ? [e.scope] : []));

describe("condition.evaluated scope", () => {
  it("records the step outputs a CEL expression names, not every finished step", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow<number>("cel-scope")
      .vars({ mode: "fast" })
      .step("a", (ctx) => ctx.input)
      .step("b", (ctx) => ctx.steps.a + 1, { needs: ["a"] })
      .step("c", (ctx) => ctx.steps.b + 1, { needs: ["b"] })
      .step("d", () => "ran", { needs: ["c"], when: 'steps.b > 1.0 && steps["c"] > 0.0' })
      .build();
    await wf.run(1, { bus });
    expect(scopes(events)).toEqual([{ input: 1, steps: { b: 2, c: 3 }, vars: { mode: "fast" } }]);
  });

  it("records a function condition's needs (what it can be expected to read)", async () => {
    const { bus, events } = recordingBus();
    const wf = workflow<number>("fn-scope")
      .step("a", (ctx) => ctx.input)
      .step("b", (ctx) => ctx.steps.a * 10, { needs: ["a"] })
      .step("c", () => "ran", { needs: ["b"], when: (scope) => (scope.steps as { b: number }).b > 5 })
      .build();
    await wf.run(1, { bus });
    expect(scopes(events)).toEqual([{ input: 1, steps: { b: 10 }, vars: {} }]);
  });

  it("stays linear: a 2,000-step guarded chain records one output per condition", async () => {
    const { bus, events } = recordingBus();
    let builder = workflow<number>("guarded-chain").step("s0", (ctx) => ctx.input);
    for (let i = 1; i < 2_000; i++) {
      // Ids made in a loop are plain strings to the builder's types: cast the options.
      const options = { needs: [`s${i - 1}`], when: `steps.s${i - 1} >= 0.0` } as unknown as { needs: ["s0"] };
      builder = builder.step(`s${i}`, () => i, options) as unknown as typeof builder;
    }
    await builder.build().run(0, { bus });
    const recorded = scopes(events).map((scope) => Object.keys((scope as { steps: object }).steps).length);
    expect(recorded).toHaveLength(1_999);
    expect(new Set(recorded)).toEqual(new Set([1]));
  });
});
