import { describe, expect, it } from "vitest";
import { createBus, workflow, type RuntrailEvent } from "runtrail";
import { projectRun } from "../../src/projections/index.js";
import { applyEvents, emptyModel, stateFromRows } from "../../dashboard/src/run/run-model.js";
import type { Run } from "../../dashboard/src/api/api-types.js";

const record = (e: RuntrailEvent): Run => ({
  runId: e.runId, accountId: e.accountId, workflow: e.workflow, status: "running", startedAt: e.ts, lastEventAt: e.ts,
  lastSeq: 0, eventCount: 0, stepsCompleted: 0, stepsFailed: 0, stepsSkipped: 0, retries: 0, issueCount: 0,
});

describe("the run view's model", () => {
  it("is the core's fold (projectRun) batch by batch, with the graph from run.started and the top-level waves", async () => {
    const body = workflow<number>("body").step("double", (ctx) => ctx.input * 2).build();
    const wf = workflow<number[]>("m").vars({ stage: "new" }).step("load", (ctx) => ctx.input).foreach("each", { items: "steps.load", do: body }, { needs: ["load"] }).build();
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((e) => events.push(e));
    await wf.run([1, 2, 3], { bus });
    let model = emptyModel(record(events[0]!));
    for (let i = 0; i < events.length; i += 7) model = applyEvents(model, events.slice(i, i + 7));
    // Replaying a batch already applied changes nothing.
    expect(applyEvents(model, events.slice(0, 10))).toBe(model);
    expect(model.state).toEqual(projectRun(events));
    expect(model.graph?.steps.map((s) => s.id)).toEqual(["load", "each", "double"]);
    expect(model.waves.map((w) => w.stepIds)).toEqual([["load"], ["each"]]);
    expect(model.waves.every((w) => w.endedAt !== undefined)).toBe(true);
  });

  it("keeps the steps' identity through a batch without step events, so the graph and timeline skip it", () => {
    const base = { runId: "r", accountId: "a", workflow: { name: "w" } };
    const events = [
      { ...base, id: "r:1", seq: 1, ts: 1, type: "run.started" },
      { ...base, id: "r:2", seq: 2, ts: 2, type: "step.started", stepId: "s" },
      { ...base, id: "r:3", seq: 3, ts: 3, type: "x.note", data: 1 },
    ] as RuntrailEvent[];
    const m1 = applyEvents(emptyModel(record(events[0]!)), events.slice(0, 2));
    const m2 = applyEvents(m1, events.slice(2));
    expect(m2.state.lastSeq).toBe(3);
    expect(m2.state.steps).toBe(m1.state.steps);
  });

  it("opens a big run from the store's rows in the fold's own shape", () => {
    const run: Run = { ...record({ runId: "r", accountId: "a", workflow: { name: "w" }, ts: 10 } as RuntrailEvent), status: "failed", lastSeq: 9, endedAt: 30, durationMs: 20, error: { name: "E", message: "boom" } };
    const state = stateFromRows({ run, steps: [
      { runId: "r", stepId: "a", path: [], status: "completed", attempts: 2, startedAt: 11, endedAt: 20, durationMs: 4, totalDurationMs: 10, failures: 1 },
      { runId: "r", stepId: "b", path: [0], status: "failed", attempts: 1, startedAt: 21, endedAt: 29, durationMs: 8, totalDurationMs: 8, failures: 1, error: { name: "E", message: "boom" } },
    ] }, { v: 1 });
    expect(state).toMatchObject({ status: "failed", error: { message: "boom" }, endedAt: 30, durationMs: 20, lastSeq: 9, variables: { v: 1 } });
    expect(state.steps.a).toMatchObject({ status: "completed", attempts: 2, durationsMs: [6, 4], startedAt: 11, endedAt: 20 });
    expect(state.steps["b@0"]).toMatchObject({ status: "failed", path: [0], error: { message: "boom" } });
  });
});
