import { describe, expect, it } from "vitest";
import type { RuntrailEvent } from "../../src/events/index.js";
import { inflightOf, isIdleSuspended } from "../../src/engine/index.js";

const base = { runId: "r", accountId: "default", workflow: { name: "w" }, ts: 0 };
function trail(bodies: readonly object[]): RuntrailEvent[] {
  return bodies.map((body, i) => ({ ...base, id: `r:${i + 1}`, seq: i + 1, ...body }) as RuntrailEvent);
}
const wait = (stepId: string, path?: number[], runId?: string) => ({ stepId, attempt: 1, index: 0, onTimeout: "fail", ...(path === undefined ? {} : { path }), ...(runId === undefined ? {} : { runId }) });

describe("open waits and an idle suspended run, from the events", () => {
  it("a wait is open from its run.suspended until its signal or timeout; a mirrored child wait is not the run's own", () => {
    const events = trail([
      { type: "run.started" },
      { type: "step.started", stepId: "a", attempt: 1 },
      { type: "run.suspended", waitingFor: "go", wait: wait("a") },
      { type: "step.started", stepId: "b", path: [2], attempt: 1 },
      { type: "run.suspended", waitingFor: "more", wait: wait("b", [2]) },
      { type: "run.suspended", waitingFor: "child", wait: wait("c", undefined, "r~sub~a1") },
    ]);
    expect(inflightOf(events).waiting).toEqual(new Set(["a@", "b@2"]));
    expect(isIdleSuspended(events)).toBe(true);
    const after = trail([...events, { type: "signal.received", stepId: "a", attempt: 1, signal: "go", index: 0 }]);
    expect(inflightOf(after).waiting).toEqual(new Set(["b@2"]));
  });

  it("is not idle while a step other than a waiting one runs, nor when the run is not suspended", () => {
    const events = trail([
      { type: "run.started" },
      { type: "step.started", stepId: "a", attempt: 1 },
      { type: "step.started", stepId: "busy", attempt: 1 },
      { type: "run.suspended", waitingFor: "go", wait: wait("a") },
    ]);
    expect(isIdleSuspended(events)).toBe(false);
    const running = trail([{ type: "run.started" }, { type: "step.started", stepId: "a", attempt: 1 }]);
    expect(isIdleSuspended(running)).toBe(false);
    const paused = trail([{ type: "run.started" }, { type: "run.suspended", reason: "night", by: "ops" }]);
    expect(isIdleSuspended(paused)).toBe(true);
    expect(inflightOf(paused).paused).toBe(true);
    expect(inflightOf(trail([{ type: "run.started" }, { type: "run.suspended", reason: "night", by: "ops" }, { type: "run.resumed", by: "ops" }])).paused).toBe(false);
  });
});
