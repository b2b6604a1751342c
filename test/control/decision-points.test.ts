import { describe, expect, it } from "vitest";
import { DECISION_EVENTS, decisionPointOf } from "../../src/control/index.js";

describe("decision points", () => {
  it("map each point to its event type and back", () => {
    expect(DECISION_EVENTS).toEqual({
      "before-run": "run.started",
      "before-step": "step.started",
      "after-step-failure": "step.failed",
      "after-tool-failure": "tool.failed",
      "after-llm-failure": "llm.failed",
    });
    expect(["run.started", "step.started", "step.failed", "tool.failed", "llm.failed", "step.completed"].map(decisionPointOf)).toEqual([
      "before-run",
      "before-step",
      "after-step-failure",
      "after-tool-failure",
      "after-llm-failure",
      undefined,
    ]);
  });
});
