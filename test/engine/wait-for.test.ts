import { describe, expect, expectTypeOf, it } from "vitest";
import { Type } from "@sinclair/typebox";
import { validateEvent, type RuntrailEvent } from "runtrail";
import { RunCancelledError, StepFailedError, workflow } from "../../src/engine/index.js";
import { SignalNotAwaitedError, SignalPayloadError } from "../../src/engine/index.js";
import { range, recordingBus, seqsByRun, sleep } from "./engine-helpers.js";

async function until(events: readonly RuntrailEvent[], match: (e: RuntrailEvent) => boolean, ms = 2_000): Promise<RuntrailEvent> {
  const end = Date.now() + ms;
  for (;;) {
    const found = events.find(match);
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error("timed out waiting for an event");
    await sleep(2);
  }
}

const Approval = Type.Object({ approved: Type.Boolean(), by: Type.Optional(Type.String()) });

function approvalFlow(options: Parameters<typeof waitOptions>[0] = {}) {
  return workflow<{ amount: number }>("approve")
    .step("draft", (ctx) => ({ amount: ctx.input.amount }))
    .step("approval", (ctx) => ctx.waitFor("approval", waitOptions(options)), { needs: ["draft"] })
    .step("pay", (ctx) => ({ paid: (ctx.steps.approval as { approved: boolean } | undefined)?.approved === true }), { needs: ["approval"] })
    .build();
}
function waitOptions(options: { timeoutMs?: number; onTimeout?: "fail" | "resume"; timeoutValue?: unknown } = {}) {
  return { schema: Approval, ...options };
}

const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

describe("ctx.waitFor and run.signal in one process", () => {
  it("suspends the run waiting for the signal, and the step gets the payload as waitFor's result", async () => {
    const { bus, events } = recordingBus();
    const before = timers();
    const run = approvalFlow().start({ amount: 5 }, { bus });
    const suspended = await until(events, (e) => e.type === "run.suspended");
    expect(suspended).toMatchObject({ waitingFor: "approval", by: "step:approval", wait: { stepId: "approval", attempt: 1, index: 0, onTimeout: "fail" } });
    expect(suspended.type === "run.suspended" && suspended.wait?.schema).toMatchObject({ type: "object", required: ["approved"] });
    expect(run.state()?.status).toBe("suspended");
    expect(run.waitingFor()).toEqual(["approval"]);
    // No timer per waiting run (it has no timeout): the wait is data, not a process resource.
    expect(timers()).toBeLessThanOrEqual(before);

    await run.signal("approval", { approved: true, by: "alice" }, { by: "alice" });
    expect(await run.result).toEqual({ paid: true });
    const received = events.find((e) => e.type === "signal.received")!;
    expect(received).toMatchObject({ signal: "approval", payload: { approved: true, by: "alice" }, by: "alice", stepId: "approval", attempt: 1, index: 0 });
    expect(events.find((e) => e.type === "run.resumed")).toMatchObject({ signal: "approval", by: "alice" });
    expect(events.find((e) => e.type === "step.completed" && e.stepId === "approval")).toMatchObject({ output: { approved: true, by: "alice" } });
    const order = events.map((e) => e.type).filter((t) => t.startsWith("run.") || t.startsWith("signal."));
    expect(order).toEqual(["run.started", "run.suspended", "signal.received", "run.resumed", "run.completed"]);
    for (const e of events) expect(validateEvent(e)).toEqual([]);
    expect(seqsByRun(events).get(run.runId)).toEqual(range(events.length));
  });

  it("refuses a payload that fails the wait's schema, naming the field, and keeps waiting", async () => {
    const run = approvalFlow().start({ amount: 5 });
    await until(run.history(), (e) => e.type === "run.suspended");
    const refused = await run.signal("approval", { approved: "yes" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SignalPayloadError);
    expect((refused as SignalPayloadError).field).toBe("/approved");
    expect((refused as Error).message).toMatch(/payload field \/approved/);
    expect(run.waitingFor()).toEqual(["approval"]);
    expect(run.history().some((e) => e.type === "signal.received")).toBe(false);
    await run.signal("approval", { approved: false });
    expect(await run.result).toEqual({ paid: false });
  });

  it("types waitFor's result from a TypeBox schema", () => {
    workflow("typed").step("w", async (ctx) => {
      const answer = await ctx.waitFor("approval", { schema: Approval });
      expectTypeOf(answer).toEqualTypeOf<{ approved: boolean; by?: string }>();
      return answer.approved;
    });
  });

  it("accepts a plain JSON Schema too", async () => {
    const wf = workflow("plain").step("w", (ctx) => ctx.waitFor<{ n: number }>("go", { schema: { type: "object", properties: { n: { type: "integer", minimum: 1 } }, required: ["n"] } })).build();
    const run = wf.start(undefined);
    await until(run.history(), (e) => e.type === "run.suspended");
    await expect(run.signal("go", { n: 0 })).rejects.toMatchObject({ field: "/n" });
    await run.signal("go", { n: 3 });
    expect(await run.result).toEqual({ n: 3 });
  });

  it("a signal nobody waits for is refused, saying what the run waits for", async () => {
    const run = approvalFlow().start({ amount: 1 });
    await until(run.history(), (e) => e.type === "run.suspended");
    await expect(run.signal("other", {})).rejects.toThrow(new SignalNotAwaitedError(run.runId, "other", ["approval"]).message);
    await run.signal("approval", { approved: true });
    await run.result;
    await expect(run.signal("approval", { approved: true })).rejects.toBeInstanceOf(SignalNotAwaitedError);
  });

  it("a timeout fails the step when it chose fail: signal.timeout says so", async () => {
    const { bus, events } = recordingBus();
    const run = approvalFlow({ timeoutMs: 20 }).start({ amount: 1 }, { bus });
    const error = await run.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailedError);
    expect((error as StepFailedError).error).toMatchObject({ name: "SignalTimeoutError", message: 'step "approval" waited 20 ms for signal "approval", and none came' });
    expect(events.find((e) => e.type === "signal.timeout")).toMatchObject({ signal: "approval", timeoutMs: 20, action: "fail", stepId: "approval" });
    expect(events.find((e) => e.type === "run.suspended")).toMatchObject({ wait: { timeoutMs: 20, deadline: expect.any(Number) } });
  });

  it("a timeout resumes the step with its timeoutValue when it chose resume", async () => {
    const { bus, events } = recordingBus();
    const run = approvalFlow({ timeoutMs: 20, onTimeout: "resume", timeoutValue: { approved: false } }).start({ amount: 1 }, { bus });
    expect(await run.result).toEqual({ paid: false });
    expect(events.find((e) => e.type === "signal.timeout")).toMatchObject({ action: "resume" });
    expect(events.find((e) => e.type === "run.resumed")).toMatchObject({ by: "timeout", signal: "approval" });
  });

  it("cancel while waiting ends the run with run.cancelled", async () => {
    const run = approvalFlow().start({ amount: 1 });
    await until(run.history(), (e) => e.type === "run.suspended");
    run.cancel("rejected by the caller");
    await expect(run.result).rejects.toBeInstanceOf(RunCancelledError);
    expect(run.history().at(-1)).toMatchObject({ type: "run.cancelled" });
    expect(run.waitingFor()).toEqual([]);
  });

  it("while one branch waits, no new step starts in another; the running sibling finishes", async () => {
    const calls: string[] = [];
    const wf = workflow("two")
      .step("wait", (ctx) => ctx.waitFor("go"))
      .step("slow", async () => {
        calls.push("slow");
        await sleep(30);
        return 1;
      })
      .step("after", () => calls.push("after"), { needs: ["slow"] })
      .build();
    const run = wf.start(undefined);
    await until(run.history(), (e) => e.type === "step.completed" && e.stepId === "slow");
    await sleep(30);
    expect(calls).toEqual(["slow"]);
    await run.signal("go", "now");
    await run.result;
    expect(calls).toEqual(["slow", "after"]);
  });

  it("a wait inside a sub-workflow: the parent's handle lists it and delivers the signal to the child run", async () => {
    const { bus, events } = recordingBus();
    const child = workflow("child").step("ask", (ctx) => ctx.waitFor<string>("answer")).build();
    const run = workflow("parent").subworkflow("sub", child).step("after", (ctx) => `got ${ctx.steps.sub}`, { needs: ["sub"] }).build().start(undefined, { bus });
    const suspended = await until(events, (e) => e.type === "run.suspended");
    expect(suspended.runId).not.toBe(run.runId);
    expect(suspended.parentRunId).toBe(run.runId);
    expect(run.waitingFor()).toEqual(["answer"]);
    await run.signal("answer", "yes");
    expect(await run.result).toBe("got yes");
    expect(events.find((e) => e.type === "signal.received")?.runId).toBe(suspended.runId);
  });
});

describe("a run with two waits open, and a pause over a wait", () => {
  const twoWaits = () =>
    workflow("two-approvals")
      .step("legal", (ctx) => ctx.waitFor("legal"))
      .step("finance", (ctx) => ctx.waitFor("finance"))
      .step("ship", (ctx) => ({ legal: ctx.steps.legal, finance: ctx.steps.finance }), { needs: ["legal", "finance"] })
      .build();

  it("stays suspended after the first of two signals, naming the wait left; resumes with the last", async () => {
    const { bus, events } = recordingBus();
    const run = twoWaits().start(undefined, { bus });
    await until(events, (e) => e.type === "run.suspended" && e.waitingFor === "finance");
    await until(events, (e) => e.type === "run.suspended" && e.waitingFor === "legal");

    await run.signal("legal", "ok by legal");
    // The step that got its signal finishes; nothing else can start: the run still waits.
    await until(events, (e) => e.type === "step.completed" && e.stepId === "legal");
    expect(run.state()?.status).toBe("suspended");
    expect(run.waitingFor()).toEqual(["finance"]);
    const afterFirst = events.slice(events.findIndex((e) => e.type === "signal.received"));
    expect(afterFirst.filter((e) => e.type === "run.resumed")).toEqual([]);
    const still = afterFirst.find((e) => e.type === "run.suspended");
    expect(still).toMatchObject({ waitingFor: "finance", wait: { stepId: "finance" } });
    expect(still?.type === "run.suspended" && still.reason).toContain('still waits for signal "finance"');

    await run.signal("finance", "ok by finance");
    expect(await run.result).toEqual({ legal: "ok by legal", finance: "ok by finance" });
    const statuses = events.map((e) => (e.type === "run.suspended" ? `suspended:${e.waitingFor}` : e.type)).filter((t) => t.startsWith("suspended") || t.startsWith("run.") || t.startsWith("signal."));
    expect(statuses).toEqual(["run.started", "suspended:legal", "suspended:finance", "signal.received", "suspended:finance", "signal.received", "run.resumed", "run.completed"]);
    expect(seqsByRun(events).get(run.runId)).toEqual(range(events.length));
  });

  it("a pause that ends while a wait is open leaves the run suspended, waiting for it", async () => {
    const { bus, events } = recordingBus();
    const run = approvalFlow().start({ amount: 5 }, { bus });
    await until(events, (e) => e.type === "run.suspended");
    expect(run.suspend("night")).toBe(true);
    expect(run.resume()).toBe(true);
    await until(events, (e) => e.type === "run.suspended" && (e.reason ?? "").includes("the pause ended"));
    expect(run.state()?.status).toBe("suspended");
    await run.signal("approval", { approved: true });
    expect(await run.result).toEqual({ paid: true });
    expect(run.state()?.status).toBe("completed");
  });
});
