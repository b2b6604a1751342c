import { describe, expect, expectTypeOf, it } from "vitest";
import {
  circuitBreakerPolicy,
  createControl,
  rateLimitPolicy,
  retryPolicy,
  timeoutPolicy,
  type ControlHandlerFn,
  type ControlPort,
} from "../../src/control/index.js";

describe("control API types", () => {
  it("the manager is a ControlPort, and handler answers are checked at compile time", () => {
    const control = createControl();
    expectTypeOf(control).toMatchTypeOf<ControlPort>();
    const ok: ControlHandlerFn = (event) => (event.type === "step.failed" ? { signal: "retry", delayMs: 100 } : undefined);
    // @ts-expect-error a retry needs delayMs
    const noDelay: ControlHandlerFn = () => ({ signal: "retry" });
    // @ts-expect-error there is no ERROR signal: a failing handler is FAIL (critical) or ignored
    const error: ControlHandlerFn = () => ({ signal: "error", reason: "x" });
    // @ts-expect-error a name is required: every decision is explained by it
    expect(() => control.register(ok, { priority: 1 })).toThrow(TypeError);
    expect([noDelay, error]).toHaveLength(2);
  });

  it("every built-in policy suggests a distinct name and the documented priority", () => {
    const policies = [
      circuitBreakerPolicy(),
      rateLimitPolicy({ limit: 1, intervalMs: 1 }),
      retryPolicy(),
      timeoutPolicy({ timeoutMs: 1 }),
    ];
    expect(policies.map((p) => [p.options.name, p.options.priority, p.options.eventTypes])).toEqual([
      ["circuit-breaker", 10, ["step.started", "step.failed"]],
      ["rate-limit", 20, ["step.started"]],
      ["retry", 50, ["step.failed", "tool.failed", "llm.failed"]],
      ["timeout", 90, ["step.started"]],
    ]);
    const control = createControl();
    for (const policy of policies) control.use(policy);
    expect(control.list().map((h) => h.name)).toEqual(["circuit-breaker", "rate-limit", "retry", "timeout"]);
  });
});
