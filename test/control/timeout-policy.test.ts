import { describe, expect, it } from "vitest";
import { createControl, timeoutPolicy } from "../../src/control/index.js";
import { contextFor, makeTrail } from "./control-helpers.js";

describe("timeout policy", () => {
  it("answers PROCEED with timeoutMs for the steps it covers, nothing for others", async () => {
    const control = createControl();
    control.use(timeoutPolicy({ timeoutMs: 30_000, steps: ["render"] }));
    const trail = makeTrail();
    const render = trail.stepStarted("render");
    const parse = trail.stepStarted("parse");
    const failed = trail.stepFailed("render");
    expect(await control.check(render, contextFor(render))).toEqual({ signal: "proceed", timeoutMs: 30_000, handler: "timeout" });
    expect(await control.check(parse, contextFor(parse))).toEqual({ signal: "proceed" });
    expect(await control.check(failed, contextFor(failed))).toEqual({ signal: "proceed" });
  });

  it("chooses per event with a function, and the tightest of several bounds wins", async () => {
    const control = createControl();
    control.use(timeoutPolicy({ name: "per-attempt", timeoutMs: (_event, ctx) => (ctx.attempt > 1 ? 2_000 : undefined) }));
    control.use(timeoutPolicy({ name: "global", timeoutMs: 10_000 }));
    const trail = makeTrail();
    const first = trail.stepStarted("s", 1);
    const second = trail.stepStarted("s", 2);
    expect(await control.check(first, contextFor(first))).toEqual({ signal: "proceed", timeoutMs: 10_000, handler: "global" });
    expect(await control.check(second, contextFor(second))).toEqual({
      signal: "proceed",
      timeoutMs: 2_000,
      handler: "per-attempt",
    });
  });

  it("refuses a non-positive bound", () => {
    expect(() => timeoutPolicy({ timeoutMs: 0 })).toThrow('timeout policy "timeout": timeoutMs must be a positive finite number, got 0');
  });
});
