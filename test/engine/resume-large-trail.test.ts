/**
 * Resuming runs with big trails: a workflow whose `run.started` graph the store cut (it is drawn by
 * viewers, never restored) still resumes, and a trail past 130,000 events (what a spread into
 * `push` cannot take) resumes with every iteration restored.
 */
import { describe, expect, it } from "vitest";
import { createBus, type RuntrailEvent } from "runtrail";
import { readTrail, workflow, type TrailReader } from "../../src/engine/index.js";
import { sleep } from "./engine-helpers.js";

const reader = (trail: readonly RuntrailEvent[], cut: (event: RuntrailEvent) => string | undefined): TrailReader => ({
  async readRun(_account, _runId, options = {}) {
    const items = trail.filter((e) => e.seq > (options.after ?? 0)).map((event) => {
      const path = cut(event);
      return path === undefined ? { event } : { event, truncated: [{ path }] };
    });
    return { items };
  },
});

describe("resume from a big trail", () => {
  it("readTrail takes a trail whose run.started graph or a step's start input was cut, and refuses a cut output, input, variable or payload", async () => {
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((e) => events.push(e));
    workflow<number>("cut").step("a", (ctx) => ctx.input).step("w", (ctx) => ctx.waitFor("go"), { needs: ["a"] }).build().start(1, { bus });
    for (let i = 0; i < 200 && events.at(-1)?.type !== "run.suspended"; i++) await sleep(2);
    const runId = events[0]!.runId;
    const harmless = (e: RuntrailEvent): string | undefined => (e.type === "run.started" ? "/graph/steps" : e.type === "step.started" ? "/input" : undefined);
    expect(await readTrail(reader(events, harmless), "default", runId)).toHaveLength(events.length);
    await expect(readTrail(reader(events, (e) => (e.type === "run.started" ? "/input/big" : undefined)), "default", runId)).rejects.toThrow("run.started at seq 1 was stored truncated (/input/big)");
    await expect(readTrail(reader(events, (e) => (e.type === "run.suspended" ? "/wait/schema" : undefined)), "default", runId)).rejects.toThrow(/run\.suspended at seq \d+ was stored truncated \(\/wait\/schema\)/);
  });

  it("a trail of more than 130,000 events resumes: no iteration runs again", async () => {
    let calls = 0;
    const body = workflow<number>("one").step("one", (ctx) => {
      calls++;
      return ctx.input;
    }).build();
    const make = () =>
      workflow<number[]>("many")
        .foreach("each", { items: "input", concurrency: 1, do: body })
        .step("wait", async (ctx) => (await ctx.waitFor<number>("go")) + ctx.steps.each.length, { needs: ["each"] })
        .build();
    const items = Array.from({ length: 27_000 }, (_, i) => i);
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    const suspended = new Promise<void>((resolve) => bus.onEvent(() => resolve(), { type: "run.suspended" }));
    bus.onEvent((e) => events.push(e));
    const live = make().start(items, { bus });
    await suspended;
    const trail = events.filter((e) => e.runId === live.runId);
    expect(trail.length).toBeGreaterThan(130_000);
    expect(calls).toBe(items.length);
    const run = make().resume(trail, { bus: createBus() });
    await run.signal("go", 1);
    expect(await run.result).toBe(items.length + 1);
    expect(calls).toBe(items.length);
  }, 60_000);
});
