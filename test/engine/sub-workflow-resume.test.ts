/**
 * Waits inside sub-workflow runs, across processes: a step of a child run waits, the process
 * that ran it ends, and another process resumes the parent (the run the user started) from the
 * store. The child goes on from its own trail under its own id, both runs finish, the steps
 * before the wait ran once in each, and both trails are gap-free from seq 1.
 */
import { describe, expect, it } from "vitest";
import { createBus, validateEvent, type EventBus, type RuntrailEvent } from "runtrail";
import { resumeRun, workflow, type Workflow } from "../../src/engine/index.js";
import { subRunId } from "../../src/engine/run/run-restore.js";
import { createStoreWriter, type EventStore } from "../../src/store/index.js";
import { STORES } from "../store/store-fixtures.js";
import { range, sleep } from "./engine-helpers.js";

function gapFree(events: readonly RuntrailEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(range(events.length));
  for (const e of events) expect(validateEvent(e)).toEqual([]);
}

/** A parent whose sub-workflow step's child waits for "approve" after a step of its own. */
function approvals(calls: string[]): Workflow<number, unknown> {
  const child = workflow<number>("review", { version: "1" })
    .step("check", (ctx) => {
      calls.push("child.check");
      return ctx.input + 1;
    })
    .step("approve", async (ctx) => {
      calls.push("child.approve");
      const answer = await ctx.waitFor<{ ok: boolean }>("approve", { schema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] } });
      return { ok: answer.ok, checked: ctx.steps.check };
    }, { needs: ["check"] })
    .build();
  return workflow<number>("purchase", { version: "1" })
    .step("draft", (ctx) => {
      calls.push("parent.draft");
      return ctx.input * 10;
    })
    .subworkflow("review", child, { needs: ["draft"], input: (s) => s.steps.draft })
    .step("pay", (ctx) => {
      calls.push("parent.pay");
      return { paid: ctx.steps.review.ok, checked: ctx.steps.review.checked };
    }, { needs: ["review"] })
    .build();
}

/** "The first process": runs until both runs are suspended, stores their trails, lets go of everything. */
async function firstProcess(store: EventStore, wf: Workflow<number, unknown>): Promise<string> {
  const bus = createBus();
  const writer = createStoreWriter(bus, store);
  let suspended = 0;
  const both = new Promise<void>((resolve) => bus.onEvent(() => void (++suspended === 2 && resolve()), { type: "run.suspended" }));
  const run = wf.start(4, { bus, accountId: "acme" });
  await both;
  await writer.close();
  return run.runId;
}

async function stored(store: EventStore, runId: string): Promise<RuntrailEvent[]> {
  return (await store.readRun("acme", runId, { limit: 1_000 })).items.map((item) => item.event);
}

describe("a wait inside a sub-workflow, resumed in another process", () => {
  for (const factory of STORES) {
    it(`resuming the parent (${factory.name}) goes on with the child's wait; both finish, nothing before the wait runs again, both trails gap-free`, async () => {
      const opened = await factory.open();
      try {
        const calls: string[] = [];
        const parentId = await firstProcess(opened.store, approvals(calls));
        expect(calls).toEqual(["parent.draft", "child.check", "child.approve"]);
        const childId = subRunId(parentId, { stepId: "review", attempt: 1 });
        // The whole tree is suspended in the store: the parent says which run's step waits.
        const store = await opened.reopen();
        expect((await store.getRun("acme", parentId))?.status).toBe("suspended");
        expect((await store.getRun("acme", childId))?.status).toBe("suspended");
        expect((await stored(store, parentId)).at(-1)).toMatchObject({ type: "run.suspended", waitingFor: "approve", by: `run:${childId}`, wait: { runId: childId, stepId: "approve" } });

        calls.length = 0;
        const bus: EventBus = createBus();
        const writer = createStoreWriter(bus, store);
        const run = await resumeRun(store, parentId, approvals(calls), { accountId: "acme", bus });
        expect(run.runId).toBe(parentId);
        expect(run.waitingFor()).toEqual(["approve"]);
        await expect(run.signal("approve", { ok: "yes" })).rejects.toThrow(/ok/);
        await run.signal("approve", { ok: true });
        expect(await run.result).toEqual({ paid: true, checked: 41 });
        await writer.close();
        // The child's approve step ran again only to get back to its wait (a step that had
        // started is at-least-once); what had completed did not run again.
        expect(calls).toEqual(["child.approve", "parent.pay"]);

        const parent = await stored(store, parentId);
        const child = await stored(store, childId);
        gapFree(parent);
        gapFree(child);
        expect(parent.at(-1)).toMatchObject({ type: "run.completed", output: { paid: true, checked: 41 } });
        expect(child.at(-1)).toMatchObject({ type: "run.completed", output: { ok: true, checked: 41 } });
        // The child went on under its own id and parent step, and started once in each run.
        expect(new Set(child.map((e) => e.parentStepId))).toEqual(new Set(["review"]));
        expect(parent.filter((e) => e.type === "step.started" && e.stepId === "review")).toHaveLength(1);
        expect(child.filter((e) => e.type === "run.started")).toHaveLength(1);
        expect(child.filter((e) => e.type === "step.completed" && e.stepId === "check")).toHaveLength(1);
        expect(child.find((e) => e.type === "signal.received")).toMatchObject({ signal: "approve", payload: { ok: true }, stepId: "approve" });
        expect(parent.filter((e) => e.type === "run.resumed").map((e) => (e as { signal?: string }).signal)).toEqual(["approve"]);
        expect((await store.getRun("acme", parentId))?.status).toBe("completed");
        expect((await store.getRun("acme", childId))?.status).toBe("completed");
      } finally {
        await opened.dispose();
      }
    });
  }

  it("resumeRun given the child's id resumes the run at the top of its tree", async () => {
    const opened = await STORES[0]!.open();
    try {
      const calls: string[] = [];
      const parentId = await firstProcess(opened.store, approvals(calls));
      const childId = subRunId(parentId, { stepId: "review", attempt: 1 });
      const store = await opened.reopen();
      await expect(resumeRun(store, childId, [], { accountId: "acme" })).rejects.toThrow(/started by workflow "purchase", which is not registered here/);
      // The child alone would finish without its parent hearing of it: refused, naming the parent.
      const childTrail = await stored(store, childId);
      const review = approvals([]).graph.nodes.find((node) => node.id === "review")!.workflow as unknown as Workflow<number, unknown>;
      expect(() => review.resume(childTrail)).toThrow(`it is a sub-workflow run of run "${parentId}": resume that run`);
      const run = await resumeRun(store, childId, approvals(calls), { accountId: "acme", bus: createBus() });
      expect(run.runId).toBe(parentId);
      await run.signal("approve", { ok: false });
      expect(await run.result).toEqual({ paid: false, checked: 41 });
    } finally {
      await opened.dispose();
    }
  });

  it("a wait two levels down, inside a loop iteration: every run above suspends, and the resumed top run finishes the tree", async () => {
    const calls: string[] = [];
    const make = () => {
      const leaf = workflow<string>("leaf").step("ask", async (ctx) => {
        calls.push(`ask ${ctx.input}`);
        return `${ctx.input}=${await ctx.waitFor<string>("answer")}`;
      }).build();
      const iteration = workflow<string>("iteration")
        .step("prep", (ctx) => {
          calls.push(`prep ${ctx.input}`);
          return ctx.input.toUpperCase();
        })
        .subworkflow("leaf", leaf, { needs: ["prep"], input: (s) => s.steps.prep })
        .build();
      const middle = workflow<string[]>("middle").foreach("each", { items: "input", concurrency: 1, do: iteration }).build();
      return workflow<string[]>("top").subworkflow("mid", middle).build();
    };
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((e) => events.push(e));
    const live = make().start(["a"], { bus });
    void live.result.catch(() => undefined);
    for (let i = 0; i < 500 && events.filter((e) => e.type === "run.suspended").length < 3; i++) await sleep(2);
    const byRun = new Map<string, RuntrailEvent[]>();
    for (const e of events) byRun.set(e.runId, [...(byRun.get(e.runId) ?? []), e]);
    expect([...byRun.values()].map((trail) => trail.at(-1)?.type)).toEqual(["run.suspended", "run.suspended", "run.suspended"]);
    const middleId = subRunId(live.runId, { stepId: "mid", attempt: 1 });
    const leafId = subRunId(middleId, { stepId: "leaf", attempt: 1, path: [0] });
    expect(new Set(byRun.keys())).toEqual(new Set([live.runId, middleId, leafId]));
    expect(byRun.get(live.runId)!.at(-1)).toMatchObject({ waitingFor: "answer", wait: { runId: leafId, stepId: "ask" } });

    calls.length = 0;
    const after: RuntrailEvent[] = [];
    const next = createBus();
    next.onEvent((e) => after.push(e));
    const subTrails = new Map([...byRun].filter(([id]) => id !== live.runId));
    const run = make().resume(byRun.get(live.runId)!, { bus: next, subTrails });
    expect(run.waitingFor()).toEqual(["answer"]);
    await run.signal("answer", "yes");
    expect(await run.result).toEqual(["A=yes"]);
    expect(calls).toEqual(["ask A"]);
    for (const id of [live.runId, middleId, leafId]) {
      const whole = [...byRun.get(id)!, ...after.filter((e) => e.runId === id)];
      gapFree(whole);
      expect(whole.at(-1)?.type).toBe("run.completed");
    }
  });

  it("a child that had ended before the parent stored its step's end gives its output, and runs nothing again", async () => {
    const calls: string[] = [];
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((e) => events.push(e));
    const live = approvals(calls).start(4, { bus });
    for (let i = 0; i < 500 && events.filter((e) => e.type === "run.suspended").length < 2; i++) await sleep(2);
    await live.signal("approve", { ok: true });
    await live.result;
    const childId = subRunId(live.runId, { stepId: "review", attempt: 1 });
    const parentTrail = events.filter((e) => e.runId === live.runId);
    // The process died after the child's run.completed was stored, before the parent's step.completed.
    const cut = parentTrail.findIndex((e) => e.type === "step.completed" && e.stepId === "review");
    calls.length = 0;
    const run = approvals(calls).resume(parentTrail.slice(0, cut), { bus: createBus(), subTrails: new Map([[childId, events.filter((e) => e.runId === childId)]]) });
    expect(await run.result).toEqual({ paid: true, checked: 41 });
    expect(calls).toEqual(["parent.pay"]);
  });

  it("a child's wait whose deadline passed while no process held it times out on resume; the parent goes on with the step's choice", async () => {
    const make = () => {
      const child = workflow("late-child").step("w", (ctx) => ctx.waitFor("go", { timeoutMs: 20, onTimeout: "resume", timeoutValue: "default" })).build();
      return workflow("late-parent").subworkflow("sub", child).step("after", (ctx) => `got ${String(ctx.steps.sub)}`, { needs: ["sub"] }).build();
    };
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((e) => events.push(e));
    const live = make().start(undefined, { bus });
    for (let i = 0; i < 500 && events.filter((e) => e.type === "run.suspended").length < 2; i++) await sleep(2);
    const cut = events.length;
    live.cancel("the process ended");
    await live.result.catch(() => undefined);
    await sleep(40);
    const childId = subRunId(live.runId, { stepId: "sub", attempt: 1 });
    const kept = events.slice(0, cut);
    const after: RuntrailEvent[] = [];
    const next = createBus();
    next.onEvent((e) => after.push(e));
    const run = make().resume(kept.filter((e) => e.runId === live.runId), { bus: next, subTrails: new Map([[childId, kept.filter((e) => e.runId === childId)]]) });
    expect(await run.result).toBe("got default");
    expect(after.find((e) => e.type === "signal.timeout")).toMatchObject({ runId: childId, action: "resume" });
    expect(after.filter((e) => e.runId === live.runId && e.type === "run.resumed")).toEqual([expect.objectContaining({ by: "timeout", signal: "go" })]);
    for (const id of [live.runId, childId]) gapFree([...kept.filter((e) => e.runId === id), ...after.filter((e) => e.runId === id)]);
  });

  for (const when of ["at once", "after its step took the child back"] as const) {
    it(`cancelling a resumed parent while its child waits (${when}) cancels both, the child first; both trails gap-free`, async () => {
      const opened = await STORES[0]!.open();
      try {
        const parentId = await firstProcess(opened.store, approvals([]));
        const childId = subRunId(parentId, { stepId: "review", attempt: 1 });
        const store = await opened.reopen();
        const bus = createBus();
        const writer = createStoreWriter(bus, store);
        const run = await resumeRun(store, parentId, approvals([]), { accountId: "acme", bus });
        expect(run.waitingFor()).toEqual(["approve"]);
        if (when !== "at once") await sleep(30);
        run.cancel("no longer needed");
        await expect(run.result).rejects.toThrow(/no longer needed/);
        await writer.close();
        const parent = await stored(store, parentId);
        const child = await stored(store, childId);
        gapFree(parent);
        gapFree(child);
        expect(parent.at(-1)).toMatchObject({ type: "run.cancelled", reason: "no longer needed" });
        expect(child.at(-1)).toMatchObject({ type: "run.cancelled", parentStepId: "review", parentAttempt: 1 });
        expect(child.at(-1)!.ts).toBeLessThanOrEqual(parent.at(-1)!.ts);
      } finally {
        await opened.dispose();
      }
    });
  }
});
