/**
 * A step's own retry settings are a handler the run's control manager consults like any other
 * (issue 13, item 3): its decisions reach the manager's onDecision and stats, in priority order.
 */
import { describe, expect, it } from "vitest";
import { createBus, createControl, retryPolicy, workflow, type ControlDecision } from "runtrail";

function flaky(failures: number) {
  let calls = 0;
  return () => {
    calls++;
    if (calls <= failures) throw new Error(`flake ${calls}`);
    return calls;
  };
}

describe("step retry settings inside the control manager", () => {
  it("are seen by the manager's onDecision and counted in its stats", async () => {
    const decisions: ControlDecision[] = [];
    const control = createControl({ onDecision: (decision) => decisions.push(decision) });
    const wf = workflow("retrying")
      .step("fetch", flaky(2), { retry: { attempts: 3, backoff: 1 } })
      .build();
    await expect(wf.run(undefined, { bus: createBus(), control })).resolves.toBe(3);
    expect(decisions.map((d) => [d.signal, d.handler])).toEqual([
      ["retry", "retry:fetch"],
      ["retry", "retry:fetch"],
    ]);
    expect(control.stats().decisions.retry).toBe(2);
    // Scoped to the run: the manager itself has no handler registered for the step.
    expect(control.list()).toEqual([]);
  });

  it("are asked before a workflow-wide retry policy (more specific, lower priority number)", async () => {
    const control = createControl();
    control.use(retryPolicy({ maxAttempts: 5, initialDelayMs: 1 }));
    const handlers: string[] = [];
    const wf = workflow("both")
      .step("fetch", flaky(1), { retry: { attempts: 2, backoff: 1 } })
      .build();
    const bus = createBus();
    bus.onEvent((event) => handlers.push(event.decision?.handler ?? "none"), { type: "step.retrying" });
    await wf.run(undefined, { bus, control });
    expect(handlers).toEqual(["retry:fetch"]);
  });

  it("still retry with no control given, and stop at their attempts", async () => {
    const wf = workflow("alone")
      .step("fetch", flaky(5), { retry: { attempts: 2, backoff: 1 } })
      .build();
    const bus = createBus();
    const types: string[] = [];
    bus.onEvent((event) => types.push(event.type), { type: "step.*" });
    await expect(wf.run(undefined, { bus })).rejects.toThrow(/flake 2/);
    expect(types).toEqual(["step.started", "step.failed", "step.retrying", "step.started", "step.failed"]);
  });
});
