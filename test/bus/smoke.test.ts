import { describe, expect, it } from "vitest";
import { createBus, type RuntrailEvent } from "runtrail";

describe("bus smoke", () => {
  it("stamps and delivers", async () => {
    const bus = createBus();
    const seen: RuntrailEvent[] = [];
    bus.onEvent((e) => seen.push(e));
    bus.emit({ type: "run.started", runId: "r1", workflow: { name: "w" } });
    bus.emit({ type: "step.started", runId: "r1", workflow: { name: "w" }, stepId: "a" });
    expect(seen.map((e) => [e.id, e.seq, e.accountId])).toEqual([
      ["r1:1", 1, "default"],
      ["r1:2", 2, "default"],
    ]);
    const sub = bus.subscribe({ type: "step.*" });
    bus.emit({ type: "step.completed", runId: "r1", workflow: { name: "w" }, stepId: "a", durationMs: 1 });
    await bus.close();
    const got: number[] = [];
    for await (const e of sub) got.push(e.seq);
    expect(got).toEqual([3]);
  });
});
