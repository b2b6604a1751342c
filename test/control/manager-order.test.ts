import { describe, expect, it } from "vitest";
import { createControl, type ControlHandlerFn } from "../../src/control/index.js";
import { anyContext, contextFor, makeTrail } from "./control-helpers.js";

/** A handler that records its name and proceeds. */
const recorder =
  (calls: string[], name: string): ControlHandlerFn =>
  () => {
    calls.push(name);
  };

describe("control manager: order", () => {
  it("consults handlers by priority, lowest first, with seven priorities registered out of order", async () => {
    const control = createControl();
    const calls: string[] = [];
    const priorities = [50, -5, 300, 10, 99, 0, 7];
    for (const priority of priorities) control.register(recorder(calls, `p${priority}`), { name: `p${priority}`, priority });
    const event = makeTrail().stepStarted("a");
    const decision = await control.check(event, contextFor(event));
    expect(decision).toEqual({ signal: "proceed" });
    expect(calls).toEqual(["p-5", "p0", "p7", "p10", "p50", "p99", "p300"]);
    expect(control.list().map((h) => h.name)).toEqual(calls);
  });

  it("keeps registration order among equal priorities, interleaved with other priorities", async () => {
    const control = createControl();
    const calls: string[] = [];
    const plan: [string, number][] = [
      ["b1", 20],
      ["a1", 10],
      ["c1", 30],
      ["b2", 20],
      ["a2", 10],
      ["c2", 30],
      ["b3", 20],
      ["d", 100], // the default priority
      ["a3", 10],
    ];
    for (const [name, priority] of plan) control.register(recorder(calls, name), { name, priority });
    control.register(recorder(calls, "default"), { name: "default" });
    const event = makeTrail().stepStarted("a");
    await control.check(event, contextFor(event));
    expect(calls).toEqual(["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "d", "default"]);
    // The order holds on every check, not just the first.
    calls.length = 0;
    await control.check(event, contextFor(event));
    expect(calls).toEqual(["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "d", "default"]);
  });

  it("keeps the order when handlers are registered after a check filled the cache", async () => {
    const control = createControl();
    const calls: string[] = [];
    control.register(recorder(calls, "p20"), { name: "p20", priority: 20 });
    control.register(recorder(calls, "p40"), { name: "p40", priority: 40 });
    const event = makeTrail().stepStarted("a");
    await control.check(event, contextFor(event));
    control.register(recorder(calls, "p30"), { name: "p30", priority: 30 });
    control.register(recorder(calls, "p10"), { name: "p10", priority: 10 });
    calls.length = 0;
    await control.check(event, contextFor(event));
    expect(calls).toEqual(["p10", "p20", "p30", "p40"]);
  });

  it("filters by exact type and by glob, and [] means never", async () => {
    const control = createControl();
    const calls: string[] = [];
    control.register(recorder(calls, "exact"), { name: "exact", eventTypes: ["step.failed"] });
    control.register(recorder(calls, "glob"), { name: "glob", eventTypes: ["step.*"] });
    control.register(recorder(calls, "inner-glob"), { name: "inner-glob", eventTypes: ["*.failed"] });
    control.register(recorder(calls, "custom"), { name: "custom", eventTypes: ["x.*"] });
    control.register(recorder(calls, "all"), { name: "all" });
    control.register(recorder(calls, "never"), { name: "never", eventTypes: [] });
    const trail = makeTrail();
    const seen = async (event: ReturnType<typeof trail.runStarted>) => {
      calls.length = 0;
      await control.check(event, anyContext(event));
      return [...calls];
    };
    expect(await seen(trail.runStarted())).toEqual(["all"]);
    expect(await seen(trail.stepStarted("a"))).toEqual(["glob", "all"]);
    expect(await seen(trail.stepFailed("a"))).toEqual(["exact", "glob", "inner-glob", "all"]);
    expect(await seen(trail.toolFailed("a", "search", "c1"))).toEqual(["inner-glob", "all"]);
    expect(await seen(trail.custom("x.approval"))).toEqual(["custom", "all"]);
  });

  it("combines priority with filters: the first matching handler by priority answers", async () => {
    const control = createControl();
    control.register(() => ({ signal: "skip", reason: "steps only" }), {
      name: "steps-first",
      priority: 10,
      eventTypes: ["step.started"],
    });
    control.register(() => ({ signal: "fail", reason: "tools are off" }), {
      name: "tools",
      priority: 20,
      eventTypes: ["tool.*"],
    });
    control.register(() => ({ signal: "retry", delayMs: 5 }), { name: "catch-all", priority: 100 });
    const trail = makeTrail();
    const started = trail.stepStarted("a");
    const toolFailed = trail.toolFailed("a", "search", "c1");
    const stepFailed = trail.stepFailed("a");
    expect(await control.check(started, contextFor(started))).toEqual({
      signal: "skip",
      reason: "steps only",
      handler: "steps-first",
    });
    expect(await control.check(toolFailed, contextFor(toolFailed))).toEqual({
      signal: "fail",
      reason: "tools are off",
      handler: "tools",
    });
    expect(await control.check(stepFailed, contextFor(stepFailed))).toEqual({
      signal: "retry",
      delayMs: 5,
      handler: "catch-all",
    });
  });

  it("scopes a handler to steps: other steps and step-less events never reach it", async () => {
    const control = createControl();
    const calls: string[] = [];
    control.register((event) => void calls.push(`${event.type}:${event.stepId}`), { name: "fetch-only", steps: ["fetch"] });
    const trail = makeTrail();
    for (const event of [trail.runStarted(), trail.stepStarted("parse"), trail.stepStarted("fetch"), trail.stepFailed("fetch")]) {
      await control.check(event, anyContext(event));
    }
    expect(calls).toEqual(["step.started:fetch", "step.failed:fetch"]);
  });

  it("lists handlers with their resolved options", () => {
    const control = createControl({ timeoutMs: 1_234 });
    control.register(() => undefined, { name: "b", priority: 5, eventTypes: ["step.*"], critical: true, timeoutMs: 50 });
    control.register(() => undefined, { name: "a", steps: ["s1"], timeoutMs: Number.POSITIVE_INFINITY });
    expect(control.list()).toEqual([
      { name: "b", priority: 5, eventTypes: ["step.*"], critical: true, timeoutMs: 50 },
      { name: "a", priority: 100, steps: ["s1"], critical: false, timeoutMs: 0 },
    ]);
  });
});
