import { describe, expect, it } from "vitest";
import { validateEvent, type RuntrailEvent } from "runtrail";
import { createControl } from "../../src/control/index.js";
import { RunCancelledError, workflow } from "../../src/engine/index.js";
import { range, recordingBus, seqsByRun, sleep } from "./engine-helpers.js";

/** Resolves once `events` holds one that matches. */
async function until(events: readonly RuntrailEvent[], match: (e: RuntrailEvent) => boolean, ms = 2_000): Promise<RuntrailEvent> {
  const end = Date.now() + ms;
  for (;;) {
    const found = events.find(match);
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error("timed out waiting for an event");
    await sleep(2);
  }
}

const at = (events: readonly RuntrailEvent[], type: string, stepId?: string): number =>
  events.findIndex((e) => e.type === type && (stepId === undefined || e.stepId === stepId));

/** Two parallel slow branches, then a step that needs both. */
function diamond(calls: string[]) {
  const slow = (id: string) => async () => {
    calls.push(id);
    await sleep(40);
    return id;
  };
  return workflow("diamond")
    .step("a", slow("a"))
    .step("b", slow("b"))
    .step("c", (ctx) => {
      calls.push("c");
      return `${String(ctx.steps.a)}+${String(ctx.steps.b)}`;
    }, { needs: ["a", "b"] })
    .build();
}

describe("suspend and resume in one process", () => {
  it("with parallel branches in flight: they finish and are stored, nothing new starts until resume", async () => {
    const { bus, events } = recordingBus();
    const calls: string[] = [];
    const run = diamond(calls).start(undefined, { bus });
    await until(events, (e) => e.type === "step.started" && e.stepId === "b");
    expect(run.suspend("maintenance window", { by: "ops" })).toBe(true);
    expect(run.suspend("again")).toBe(false);
    expect(run.state()?.status).toBe("suspended");
    await until(events, (e) => e.type === "step.completed" && e.stepId === "a");
    await until(events, (e) => e.type === "step.completed" && e.stepId === "b");
    await sleep(60);
    expect(calls).toEqual(["a", "b"]);
    expect(at(events, "step.started", "c")).toBe(-1);
    expect(run.state()).toMatchObject({ status: "suspended", reason: "maintenance window", steps: { a: { status: "completed" }, b: { status: "completed" } } });
    const suspended = events[at(events, "run.suspended")]!;
    expect(suspended).toMatchObject({ type: "run.suspended", reason: "maintenance window", by: "ops" });
    // The running branches' completions come after the suspension, in the trail.
    expect(at(events, "run.suspended")).toBeLessThan(at(events, "step.completed", "a"));
    expect(at(events, "run.suspended")).toBeLessThan(at(events, "step.completed", "b"));

    expect(run.resume({ by: "ops" })).toBe(true);
    expect(run.resume()).toBe(false);
    expect(await run.result).toBe("a+b");
    expect(calls).toEqual(["a", "b", "c"]);
    expect(events[at(events, "run.resumed")]).toMatchObject({ by: "ops" });
    expect(at(events, "run.resumed")).toBeLessThan(at(events, "step.started", "c"));
    expect(run.state()?.status).toBe("completed");
    for (const e of events) expect(validateEvent(e)).toEqual([]);
    const seqs = seqsByRun(events).get(run.runId)!;
    expect(seqs).toEqual(range(seqs.length));
  });

  it("a foreach with iterations in flight starts no further iteration while suspended", async () => {
    const { bus, events } = recordingBus();
    const body = workflow<number>("slow").step("work", async (ctx) => {
      await sleep(30);
      return ctx.input * 10;
    }).build();
    const run = workflow<number[]>("each").foreach("each", { items: "input", concurrency: 2, do: body }).build().start([1, 2, 3, 4], { bus });
    await until(events, (e) => e.type === "loop.iteration" && e.path?.[0] === 1);
    run.suspend("pause the batch");
    await sleep(80);
    const iterations = events.filter((e) => e.type === "loop.iteration").length;
    expect(iterations).toBe(2);
    expect(events.filter((e) => e.type === "step.completed" && e.stepId === "work").length).toBe(2);
    run.resume();
    expect(await run.result).toEqual([10, 20, 30, 40]);
  });

  it("cancel works while suspended: run.cancelled, no further step, result rejects", async () => {
    const { bus, events } = recordingBus();
    const calls: string[] = [];
    const run = diamond(calls).start(undefined, { bus });
    await until(events, (e) => e.type === "step.started" && e.stepId === "b");
    run.suspend();
    await until(events, (e) => e.type === "step.completed" && e.stepId === "b");
    run.cancel("not needed any more");
    await expect(run.result).rejects.toBeInstanceOf(RunCancelledError);
    expect(calls).toEqual(["a", "b"]);
    expect(events.at(-1)).toMatchObject({ type: "run.cancelled", reason: "not needed any more" });
    expect(run.state()?.status).toBe("cancelled");
    expect(run.resume()).toBe(false);
  });

  it("a control policy can answer suspend before a step: recorded with its handler, the step runs after resume", async () => {
    const { bus, events } = recordingBus();
    const control = createControl();
    let spent = 0;
    control.register(
      (event) => (event.stepId === "charge" && spent >= 1 ? { signal: "suspend", reason: "budget spent" } : undefined),
      { name: "budget", eventTypes: ["step.started"] },
    );
    const wf = workflow("pay")
      .step("first", () => (spent += 1))
      .step("charge", () => "charged", { needs: ["first"] })
      .build();
    const run = wf.start(undefined, { bus, control });
    const suspended = await until(events, (e) => e.type === "run.suspended");
    expect(suspended).toMatchObject({ reason: "budget spent", by: "control:budget", decision: { handler: "budget", reason: "budget spent" } });
    await sleep(20);
    expect(at(events, "step.completed", "charge")).toBe(-1);
    expect(run.state()?.status).toBe("suspended");
    expect(control.stats().decisions.suspend).toBe(1);
    run.resume({ by: "finance" });
    expect(await run.result).toBe("charged");
    expect(at(events, "run.resumed")).toBeLessThan(at(events, "step.completed", "charge"));
  });

  it("suspend is refused by the control manager outside before-step (an invalid answer, reported)", async () => {
    const failures: string[] = [];
    const control = createControl({ onError: (f) => failures.push(`${f.kind}: ${(f.error as Error).message}`) });
    control.register(() => ({ signal: "suspend", reason: "no" }), { name: "odd", eventTypes: ["step.failed"] });
    const wf = workflow("f").step("boom", () => {
      throw new Error("boom");
    }).build();
    await expect(wf.run(undefined, { control })).rejects.toThrow(/boom/);
    expect(failures).toEqual([expect.stringContaining("suspend is answered before a step (step.started), not at step.failed")]);
  });
});
