import { describe, expect, it } from "vitest";
import { main as approval } from "../../examples/approval-flow.js";
import { main as orderSpec } from "../../examples/order-spec.js";

describe("examples run", () => {
  it("approval-flow: a large expense goes to the manager", async () => {
    const result = await approval({ employee: "ada", items: [{ what: "flight", amount: 900 }, { what: "hotel", amount: 300 }] });
    expect(result.output).toBe("ada: sent to manager");
    expect(result.variables).toEqual({ status: "needs-manager" });
    expect(result.trail.filter((line) => line.includes("skipped"))).toEqual([expect.stringMatching(/^#\d+ step\.skipped auto$/)]);
    expect(result.trail.filter((line) => line.includes("step.completed check"))).toEqual([
      expect.stringMatching(/step\.completed check\[0\]$/),
      expect.stringMatching(/step\.completed check\[1\]$/),
    ]);
  });

  it("approval-flow: a small expense is approved automatically", async () => {
    const result = await approval({ employee: "bo", items: [{ what: "lunch", amount: 20 }] });
    expect(result.output).toBe("bo: approved automatically");
    expect(result.variables).toEqual({ status: "approved" });
  });

  it("order-spec: the YAML spec runs, retrying the flaky step", async () => {
    const { output, types } = await orderSpec();
    expect(output).toEqual({ total: 50, shipped: "shipped on attempt 2" });
    expect(types.filter((t) => t === "step.retrying")).toEqual(["step.retrying"]);
    expect(types[0]).toBe("run.started");
    expect(types.at(-1)).toBe("run.completed");
  });
});
