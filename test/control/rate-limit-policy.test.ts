import { describe, expect, it } from "vitest";
import { circuitBreakerPolicy, createControl, rateLimitPolicy, type RateLimitOptions } from "../../src/control/index.js";
import { contextFor, makeTrail } from "./control-helpers.js";

function setup(options: Omit<RateLimitOptions, "clock">) {
  const clock = { now: 0 };
  const control = createControl();
  control.use(rateLimitPolicy({ ...options, clock: () => clock.now }));
  const trail = makeTrail();
  const start = async (stepId: string) => {
    const event = trail.stepStarted(stepId);
    return control.check(event, contextFor(event));
  };
  return { clock, control, trail, start };
}

describe("rate limit", () => {
  it("hexDAG's scenario: with 3 per interval, the 4th start in the interval is skipped", async () => {
    const { start } = setup({ limit: 3, intervalMs: 1_000 });
    const decisions = [await start("s"), await start("s"), await start("s"), await start("s")];
    expect(decisions).toEqual([
      { signal: "proceed" },
      { signal: "proceed" },
      { signal: "proceed" },
      { signal: "skip", reason: 'rate limit of 3 per 1000 ms reached for "s"', handler: "rate-limit" },
    ]);
  });

  it("slides: a slot frees exactly one interval after the start that took it; refused starts take none", async () => {
    const { clock, start } = setup({ limit: 2, intervalMs: 1_000 });
    const at = async (ms: number) => {
      clock.now = ms;
      return (await start("s")).signal;
    };
    expect([await at(0), await at(400), await at(999), await at(1_000), await at(1_399), await at(1_400)]).toEqual([
      "proceed",
      "proceed",
      "skip",
      "proceed", // the start at 0 has left the window
      "skip",
      "proceed", // the start at 400 has left the window
    ]);
  });

  it("limits per key: each step has its own budget, or one shared budget with key 'workflow'", async () => {
    const perStep = setup({ limit: 1, intervalMs: 1_000 });
    expect([(await perStep.start("a")).signal, (await perStep.start("b")).signal, (await perStep.start("a")).signal]).toEqual([
      "proceed",
      "proceed",
      "skip",
    ]);
    const shared = setup({ limit: 1, intervalMs: 1_000, key: "workflow" });
    expect([(await shared.start("a")).signal, (await shared.start("b")).signal]).toEqual(["proceed", "skip"]);
    expect(await shared.start("c")).toMatchObject({ reason: 'rate limit of 1 per 1000 ms reached for "control-wf"' });
  });

  it("can answer FAIL, or RETRY after exactly the time until a slot frees", async () => {
    const failing = setup({ limit: 1, intervalMs: 500, onLimit: "fail" });
    await failing.start("s");
    expect(await failing.start("s")).toEqual({
      signal: "fail",
      reason: 'rate limit of 1 per 500 ms reached for "s"',
      handler: "rate-limit",
    });
    const retrying = setup({ limit: 2, intervalMs: 500, onLimit: "retry" });
    retrying.clock.now = 100;
    await retrying.start("s");
    retrying.clock.now = 300;
    await retrying.start("s");
    retrying.clock.now = 420;
    expect(await retrying.start("s")).toEqual({
      signal: "retry",
      delayMs: 180,
      reason: 'rate limit of 2 per 500 ms reached for "s"; retrying in 180 ms',
      handler: "rate-limit",
    });
  });

  it("skips with a configured output value", async () => {
    const { start } = setup({ limit: 1, intervalMs: 1_000, skipValue: { cached: true } });
    await start("s");
    expect(await start("s")).toMatchObject({ signal: "skip", value: { cached: true } });
  });

  it("is not charged for starts a circuit breaker (asked first) refused", async () => {
    const clock = { now: 0 };
    const control = createControl();
    const breaker = circuitBreakerPolicy({ failureThreshold: 1, cooldownMs: 10_000, clock: () => clock.now });
    control.use(breaker);
    control.use(rateLimitPolicy({ limit: 1, intervalMs: 1_000, clock: () => clock.now }));
    const trail = makeTrail();
    const ask = async (event: ReturnType<typeof trail.stepStarted>) => control.check(event, contextFor(event));
    await ask(trail.stepFailed("s"));
    expect((await ask(trail.stepStarted("s"))).handler).toBe("circuit-breaker");
    breaker.handler.reset("s");
    expect(await ask(trail.stepStarted("s"))).toEqual({ signal: "proceed" });
  });

  it("refuses bad settings", () => {
    expect(() => rateLimitPolicy({ limit: 0, intervalMs: 1 })).toThrow('rate limit "rate-limit": limit must be an integer >= 1, got 0');
    expect(() => rateLimitPolicy({ limit: 1, intervalMs: 0 })).toThrow('rate limit "rate-limit": intervalMs must be > 0, got 0');
  });
});
