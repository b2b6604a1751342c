import { describe, expect, it } from "vitest";
import { circuitBreakerPolicy, createControl, retryPolicy, type CircuitBreakerOptions } from "../../src/control/index.js";
import { contextFor, makeTrail } from "./control-helpers.js";

/** A manager with one breaker on a fake clock, and a trail of real events attached to it. */
function setup(options: CircuitBreakerOptions, attach = true) {
  const clock = { now: 0 };
  const policy = circuitBreakerPolicy({ clock: () => clock.now, ...options });
  const control = createControl();
  control.use(policy);
  const trail = makeTrail();
  if (attach) control.attach(trail.bus);
  const ask = async (event: ReturnType<typeof trail.stepStarted>) => control.check(event, contextFor(event));
  return { clock, breaker: policy.handler, control, trail, ask };
}

describe("circuit breaker", () => {
  it("hexDAG's scenario (threshold 2): the first failure passes, the second opens and FAILs, then starts FAIL", async () => {
    const { breaker, trail, ask } = setup({ failureThreshold: 2 });
    expect(await ask(trail.stepStarted("charge"))).toEqual({ signal: "proceed" });
    expect(await ask(trail.stepFailed("charge", 1))).toEqual({ signal: "proceed" });
    expect(breaker.state("charge")).toBe("closed");
    expect(await ask(trail.stepFailed("charge", 2))).toEqual({
      signal: "fail",
      reason: 'circuit "charge" is open after 2 failure(s) within 60000 ms; next trial in 30000 ms',
      handler: "circuit-breaker",
    });
    expect(breaker.state("charge")).toBe("open");
    expect(await ask(trail.stepStarted("charge", 3))).toMatchObject({ signal: "fail", handler: "circuit-breaker" });
    // Other steps have their own circuits.
    expect(await ask(trail.stepStarted("email"))).toEqual({ signal: "proceed" });
  });

  it("as the seed: with threshold 1 the first failure opens the circuit, FAIL from then on", async () => {
    const { trail, ask } = setup({ failureThreshold: 1 });
    const decisions = [
      await ask(trail.stepStarted("charge")),
      await ask(trail.stepFailed("charge")),
      await ask(trail.stepStarted("charge", 2)),
      await ask(trail.stepStarted("charge", 3)),
    ];
    expect(decisions.map((d) => d.signal)).toEqual(["proceed", "fail", "fail", "fail"]);
  });

  it("counts only failures within the window", async () => {
    const { clock, breaker, trail, ask } = setup({ failureThreshold: 2, windowMs: 1_000 });
    clock.now = 0;
    await ask(trail.stepFailed("s"));
    clock.now = 1_000; // the first failure has just left the window
    expect(await ask(trail.stepFailed("s"))).toEqual({ signal: "proceed" });
    expect(breaker.state("s")).toBe("closed");
    clock.now = 1_999;
    expect((await ask(trail.stepFailed("s"))).signal).toBe("fail");
    expect(breaker.state("s")).toBe("open");
  });

  it("half-opens after the cooldown, lets one trial through, and closes when it succeeds", async () => {
    const { clock, breaker, trail, ask } = setup({ failureThreshold: 1, cooldownMs: 5_000 });
    clock.now = 1_000;
    await ask(trail.stepFailed("s"));
    clock.now = 5_999;
    expect(await ask(trail.stepStarted("s", 2))).toEqual({
      signal: "fail",
      reason: 'circuit "s" is open after 1 failure(s) within 60000 ms; next trial in 1 ms',
      handler: "circuit-breaker",
    });
    clock.now = 6_000;
    expect(await ask(trail.stepStarted("s", 3))).toEqual({ signal: "proceed" });
    expect(breaker.state("s")).toBe("half-open");
    // A second start while the trial runs is refused.
    expect(await ask(trail.stepStarted("s", 1))).toEqual({
      signal: "fail",
      reason: 'circuit "s" is half-open; a trial attempt is in flight',
      handler: "circuit-breaker",
    });
    trail.stepCompleted("s", 3); // reaches the breaker through attach(bus)
    expect(breaker.state("s")).toBe("closed");
    expect(await ask(trail.stepStarted("s", 1))).toEqual({ signal: "proceed" });
    expect(await ask(trail.stepStarted("s", 1))).toEqual({ signal: "proceed" });
  });

  it("reopens when the trial fails, for a whole new cooldown", async () => {
    const { clock, breaker, trail, ask } = setup({ failureThreshold: 1, cooldownMs: 5_000 });
    await ask(trail.stepFailed("s"));
    clock.now = 5_000;
    expect((await ask(trail.stepStarted("s", 2))).signal).toBe("proceed");
    clock.now = 5_200;
    expect(await ask(trail.stepFailed("s", 2))).toMatchObject({ signal: "fail", reason: /next trial in 5000 ms/ });
    expect(breaker.state("s")).toBe("open");
    clock.now = 10_199;
    expect((await ask(trail.stepStarted("s", 3))).signal).toBe("fail");
    clock.now = 10_200;
    expect((await ask(trail.stepStarted("s", 3))).signal).toBe("proceed");
  });

  it("frees the trial slot after a cooldown if the trial never reports back", async () => {
    const { clock, trail, ask } = setup({ failureThreshold: 1, cooldownMs: 1_000 });
    await ask(trail.stepFailed("s"));
    clock.now = 1_000;
    expect((await ask(trail.stepStarted("s"))).signal).toBe("proceed");
    clock.now = 1_999;
    expect((await ask(trail.stepStarted("s"))).signal).toBe("fail");
    clock.now = 2_000;
    expect((await ask(trail.stepStarted("s"))).signal).toBe("proceed");
  });

  it("answers FALLBACK with the configured value instead of FAIL", async () => {
    const { trail, ask } = setup({ failureThreshold: 1, fallback: { value: { price: null } } });
    expect(await ask(trail.stepFailed("quote"))).toMatchObject({ signal: "fallback", value: { price: null } });
    expect(await ask(trail.stepStarted("quote", 2))).toEqual({
      signal: "fallback",
      value: { price: null },
      reason: 'circuit "quote" is open after 1 failure(s) within 60000 ms; next trial in 30000 ms',
      handler: "circuit-breaker",
    });
  });

  it("counts a failure once when it arrives both through the bus and through check", async () => {
    const { breaker, trail, ask } = setup({ failureThreshold: 2 });
    const failed = trail.stepFailed("s"); // observed via attach(bus) already
    expect(await ask(failed)).toEqual({ signal: "proceed" });
    expect(await ask(failed)).toEqual({ signal: "proceed" });
    expect(breaker.state("s")).toBe("closed");
  });

  it("learns failures through the bus even when a handler asked earlier decides them", async () => {
    const { control, breaker, trail, ask } = setup({ failureThreshold: 2 });
    control.use(retryPolicy({ maxAttempts: 5, initialDelayMs: 10 }), { priority: 1 });
    expect((await ask(trail.stepFailed("s", 1))).handler).toBe("retry");
    expect((await ask(trail.stepFailed("s", 2))).handler).toBe("retry");
    expect(breaker.state("s")).toBe("open");
    expect(await ask(trail.stepStarted("s", 3))).toMatchObject({ signal: "fail", handler: "circuit-breaker" });
  });

  it("works without attach for failures; successes need the bus (or notify) to close it", async () => {
    const { clock, breaker, control, trail, ask } = setup({ failureThreshold: 1, cooldownMs: 100 }, false);
    await ask(trail.stepFailed("s"));
    expect(breaker.state("s")).toBe("open");
    clock.now = 100;
    expect((await ask(trail.stepStarted("s", 2))).signal).toBe("proceed");
    trail.stepCompleted("s", 2);
    expect(breaker.state("s")).toBe("half-open");
    control.notify(trail.events[trail.events.length - 1]!);
    expect(breaker.state("s")).toBe("closed");
  });

  it("keys by tool: an open tool refuses its failures (no retry into it); success after the cooldown closes it", async () => {
    const { clock, breaker, trail, ask } = setup({ key: "tool", failureThreshold: 2, cooldownMs: 1_000 });
    expect(await ask(trail.toolFailed("s", "search", "c1"))).toEqual({ signal: "proceed" });
    expect(await ask(trail.toolFailed("s", "search", "c2"))).toMatchObject({ signal: "fail", reason: /circuit "search" is open/ });
    expect(await ask(trail.toolFailed("s", "geocode", "c3"))).toEqual({ signal: "proceed" });
    expect(breaker.state("search")).toBe("open");
    // Step events are not this breaker's business.
    expect(await ask(trail.stepStarted("s"))).toEqual({ signal: "proceed" });
    trail.toolCompleted("s", "search", "c4"); // before the cooldown: not proof of recovery
    expect(breaker.state("search")).toBe("open");
    clock.now = 1_000;
    trail.toolCompleted("s", "search", "c5");
    expect(breaker.state("search")).toBe("closed");
  });

  it("reset closes circuits, and bad settings are refused", async () => {
    const { breaker, trail, ask } = setup({ failureThreshold: 1 });
    await ask(trail.stepFailed("a"));
    await ask(trail.stepFailed("b"));
    breaker.reset("a");
    expect([breaker.state("a"), breaker.state("b")]).toEqual(["closed", "open"]);
    breaker.reset();
    expect(breaker.state("b")).toBe("closed");
    expect(() => circuitBreakerPolicy({ failureThreshold: 0 })).toThrow(
      'circuit breaker "circuit-breaker": failureThreshold must be an integer >= 1, got 0',
    );
  });
});
