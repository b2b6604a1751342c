/**
 * `POST /api/runs/:runId/suspend` and `/resume`, `GET /api/runs/:runId/controls` and
 * `GET /api/runs/:runId/children`: tenancy (404), read-only tokens (403), the 409s, and the OK
 * path with `run.suspended` / `run.resumed` stored with who asked and why.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Type } from "@sinclair/typebox";
import { createBus, type RuntrailEvent } from "runtrail";
import { workflow } from "../../src/engine/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import { call, startHarness, type Harness } from "./server-fixtures.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function trail(h: Harness, runId: string, account = "acme"): Promise<RuntrailEvent[]> {
  const page = await h.store.readRun(account, runId, { limit: 10_000 });
  return page.items.map((item) => item.event);
}

/** Steps that each wait for the test to let them go, so the run is running while the test acts. */
function gated(name = "gated") {
  const gates: (() => void)[] = [];
  const started: string[] = [];
  const step = (id: string) => () =>
    new Promise<string>((resolve) => {
      started.push(id);
      gates.push(() => resolve(id));
    });
  const wf = workflow(name, { version: "1" })
    .step("one", step("one"))
    .step("two", step("two"), { needs: ["one"] })
    .build();
  return { wf, started, open: () => gates.shift()?.() };
}

describe("suspend and resume routes", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("suspends a held run (no new step starts) and resumes it; events say who and why", async () => {
    const g = gated();
    h = await startHarness({ workflows: [g.wf] });
    const runId = (await call(h, "POST", "/api/workflows/gated/runs", h.tokens.acme, {})).body.runId as string;
    await until("step one to start", () => g.started.length === 1);
    const suspend = `/api/runs/${runId}/suspend`;
    const resume = `/api/runs/${runId}/resume`;

    expect((await call(h, "POST", suspend, h.tokens.globex, {})).status).toBe(404);
    expect((await call(h, "POST", resume, h.tokens.globex, {})).status).toBe(404);
    expect((await call(h, "GET", `/api/runs/${runId}/controls`, h.tokens.globex)).status).toBe(404);
    expect((await call(h, "POST", suspend, h.tokens.acmeReadOnly, {})).status).toBe(403);
    expect((await call(h, "POST", resume, h.tokens.acmeReadOnly, {})).status).toBe(403);

    const notPaused = await call(h, "POST", resume, h.tokens.acme, {});
    expect(notPaused.status).toBe(409);
    expect(notPaused.body.message).toBe(`run "${runId}" is not suspended`);
    expect((await call(h, "GET", `/api/runs/${runId}/controls`, h.tokens.acme)).body).toEqual({
      runId, status: "running", held: true, readOnly: false, paused: false, waitingFor: [], can: { suspend: true, resume: false, signal: false, cancel: true },
    });
    expect((await call(h, "GET", `/api/runs/${runId}/controls`, h.tokens.acmeReadOnly)).body).toMatchObject({ readOnly: true, can: { suspend: false, resume: false, signal: false, cancel: false } });

    expect(await call(h, "POST", suspend, h.tokens.acme, { reason: "budget check" })).toEqual({ status: 202, body: { runId, suspended: true } });
    expect((await h.store.getRun("acme", runId))?.suspension).toMatchObject({ reason: "budget check", by: expect.stringMatching(/^api-token \S+ \(account acme\)$/) });
    const twice = await call(h, "POST", suspend, h.tokens.acme, {});
    expect(twice.status).toBe(409);
    expect(twice.body.message).toMatch(/suspended already/);
    expect((await call(h, "GET", `/api/runs/${runId}/controls`, h.tokens.acme)).body).toMatchObject({ status: "suspended", paused: true, can: { suspend: false, resume: true } });

    // The running step finishes; the next one does not start while suspended.
    g.open();
    await sleep(150);
    expect(g.started).toEqual(["one"]);

    expect(await call(h, "POST", resume, h.tokens.acme, { reason: "budget ok" })).toEqual({ status: 202, body: { runId, resumed: true, resumedFromTrail: false } });
    await until("step two to start", () => g.started.length === 2);
    g.open();
    await until("the run to complete", async () => (await h!.store.getRun("acme", runId))?.status === "completed");
    const events = await trail(h, runId);
    const suspended = events.find((e) => e.type === "run.suspended");
    const resumed = events.find((e) => e.type === "run.resumed");
    expect(suspended).toMatchObject({ reason: "budget check", by: expect.stringMatching(/^api-token /) });
    expect(resumed).toMatchObject({ reason: "budget ok", by: suspended?.type === "run.suspended" ? suspended.by : "" });
    const order = events.map((e) => (e.type === "step.started" ? `start:${e.stepId}` : e.type === "step.completed" ? `done:${e.stepId}` : e.type)).filter((t) => /^(start|done):|run\.(suspended|resumed)/.test(t));
    expect(order).toEqual(["start:one", "run.suspended", "done:one", "run.resumed", "start:two", "done:two"]);

    const over = await call(h, "POST", suspend, h.tokens.acme, {});
    expect(over.status).toBe(409);
    expect(over.body.message).toBe(`run "${runId}" has completed: it can be neither suspended nor resumed`);
  });

  it("refuses a run another process executes, and a run that only waits for a signal names the signal", async () => {
    const Approval = Type.Object({ approved: Type.Boolean() });
    const waiting = workflow("approvals", { version: "1" }).step("ask", (ctx) => ctx.waitFor("approval", { schema: Approval, timeoutMs: 60_000 })).build();
    h = await startHarness({ workflows: [waiting] });
    const held = (await call(h, "POST", "/api/workflows/approvals/runs", h.tokens.acme, {})).body.runId as string;
    await until("the wait", async () => (await h!.store.getRun("acme", held))?.status === "suspended");
    const resumeHeld = await call(h, "POST", `/api/runs/${held}/resume`, h.tokens.acme, {});
    expect(resumeHeld.status).toBe(409);
    expect(resumeHeld.body.message).toBe(`run "${held}" is not paused: it waits for signal "approval"; send it (POST /api/runs/${held}/signals/approval) to resume the run`);
    const controls = await call(h, "GET", `/api/runs/${held}/controls`, h.tokens.acme);
    expect(controls.body).toMatchObject({ status: "suspended", held: true, paused: false, waitingFor: ["approval"], can: { suspend: true, resume: false, signal: true } });
    // The row tells what it waits for, with the wait's deadline and schema.
    const { body } = await call(h, "GET", `/api/runs/${held}`, h.tokens.acme);
    expect((body.run as Record<string, unknown>).suspension).toMatchObject({ waitingFor: "approval", stepId: "ask", by: "step:ask", timeoutMs: 60_000, deadline: expect.any(Number), schema: { type: "object" } });
    const listed = await call(h, "GET", "/api/runs?status=suspended", h.tokens.acme);
    expect((listed.body.runs as { runId: string; suspension?: { waitingFor?: string } }[]).map((r) => [r.runId, r.suspension?.waitingFor])).toEqual([[held, "approval"]]);

    // Another process's runs: a running one and a paused one, on their own bus and writer.
    const otherBus = createBus();
    const otherWriter = createStoreWriter(otherBus, h.store, { flushIntervalMs: 5 });
    let release = (): void => undefined;
    const busy = workflow("busy", { version: "1" }).step("slow", () => new Promise<void>((resolve) => (release = resolve))).build();
    const elsewhere = busy.start(undefined, { bus: otherBus, accountId: "acme" });
    await until("the other run to be stored", async () => (await h!.store.getRun("acme", elsewhere.runId)) !== undefined);
    const suspendElsewhere = await call(h, "POST", `/api/runs/${elsewhere.runId}/suspend`, h.tokens.acme, {});
    expect(suspendElsewhere.status).toBe(409);
    expect(suspendElsewhere.body.message).toBe(`run "${elsewhere.runId}" is executed by another process, not this server: suspend it there`);
    const resumeElsewhere = await call(h, "POST", `/api/runs/${elsewhere.runId}/resume`, h.tokens.acme, {});
    expect(resumeElsewhere.status).toBe(409);
    expect(resumeElsewhere.body.message).toBe(`run "${elsewhere.runId}" is not suspended (it is running, in another process)`);
    expect((await call(h, "GET", `/api/runs/${elsewhere.runId}/controls`, h.tokens.acme)).body).toMatchObject({ held: false, can: { suspend: false, resume: false, signal: false, cancel: false } });

    elsewhere.suspend("paused elsewhere", { by: "ops" });
    await until("the pause to be stored", async () => (await h!.store.getRun("acme", elsewhere.runId))?.status === "suspended");
    const notRegistered = await call(h, "POST", `/api/runs/${elsewhere.runId}/resume`, h.tokens.acme, {});
    expect(notRegistered.status).toBe(409);
    expect(notRegistered.body.message).toBe(`run "${elsewhere.runId}" is not held by this server, and it cannot resume it: workflow "busy" is not registered here (serve --workflows)`);
    release();
    elsewhere.cancel("test over");
    await elsewhere.result.catch(() => undefined);
    await otherWriter.close();
  });

  it("resumes a paused run no process holds from its trail: the step before the pause ran once", async () => {
    const calls: string[] = [];
    let letGo = (): void => undefined;
    const wf = workflow("pausable", { version: "1" })
      .step("first", () => {
        calls.push("first");
        return new Promise<number>((resolve) => (letGo = () => resolve(1)));
      })
      .step("second", (ctx) => {
        calls.push("second");
        return ctx.steps.first + 1;
      }, { needs: ["first"] })
      .build();
    h = await startHarness({ workflows: [wf] });
    const otherBus = createBus();
    const otherWriter = createStoreWriter(otherBus, h.store, { flushIntervalMs: 5 });
    const run = wf.start(undefined, { bus: otherBus, accountId: "acme" });
    await until("first to start", () => calls.length === 1);
    run.suspend("night freeze", { by: "ops" });
    letGo();
    await until("first to be stored done", async () => (await trail(h!, run.runId)).some((e) => e.type === "step.completed" && e.stepId === "first"));
    // The other process goes away with its run paused.
    await otherWriter.close();
    run.cancel("process gone");
    const before = await trail(h, run.runId);
    // Drop what a cancel wrote after the writer closed: nothing, the writer is closed.
    expect(before.at(-1)?.type).not.toBe("run.cancelled");
    expect((await call(h, "GET", `/api/runs/${run.runId}/controls`, h.tokens.acme)).body).toMatchObject({ held: false, paused: true, can: { resume: true } });

    const ok = await call(h, "POST", `/api/runs/${run.runId}/resume`, h.tokens.acme, { reason: "morning" });
    expect(ok).toEqual({ status: 202, body: { runId: run.runId, resumed: true, resumedFromTrail: true } });
    await until("the run to complete", async () => (await h!.store.getRun("acme", run.runId))?.status === "completed");
    expect(calls).toEqual(["first", "second"]);
    const events = await trail(h, run.runId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "run.resumed").at(-1)).toMatchObject({ reason: "morning", by: expect.stringMatching(/^api-token /) });
    expect(events.at(-1)).toMatchObject({ type: "run.completed", output: 2 });
  });

  it("a waiting run no process holds: controls offer the signal (the server can resume it), resume names the signal", async () => {
    const waiting = workflow("approvals", { version: "1" }).step("ask", (ctx) => ctx.waitFor("approval")).build();
    h = await startHarness({ workflows: [waiting] });
    const otherBus = createBus();
    const otherWriter = createStoreWriter(otherBus, h.store, { flushIntervalMs: 5 });
    const run = waiting.start(undefined, { bus: otherBus, accountId: "acme" });
    await until("the wait", async () => (await h!.store.getRun("acme", run.runId))?.status === "suspended");
    await otherWriter.close();
    expect((await call(h, "GET", `/api/runs/${run.runId}/controls`, h.tokens.acme)).body).toMatchObject({
      status: "suspended", held: false, paused: false, waitingFor: ["approval"], suspension: { waitingFor: "approval", stepId: "ask" }, can: { suspend: false, resume: false, signal: true, cancel: false },
    });
    const resume = await call(h, "POST", `/api/runs/${run.runId}/resume`, h.tokens.acme, {});
    expect(resume.status).toBe(409);
    expect(resume.body.message).toBe(`run "${run.runId}" waits for signal "approval": send it (POST /api/runs/${run.runId}/signals/approval) to resume the run`);
    run.cancel("test over");
    await run.result.catch(() => undefined);
  });

  it("lists a run's sub-workflow runs with their parent step, in its account only", async () => {
    const child = workflow("review", { version: "1" }).step("check", () => "ok").build();
    const parent = workflow("with-child", { version: "1" }).step("prepare", () => 1).subworkflow("review", child, { needs: ["prepare"] }).build();
    h = await startHarness({ workflows: [parent] });
    const runId = (await call(h, "POST", "/api/workflows/with-child/runs", h.tokens.acme, {})).body.runId as string;
    await until("the run to complete", async () => (await h!.store.getRun("acme", runId))?.status === "completed");
    const children = await call(h, "GET", `/api/runs/${runId}/children`, h.tokens.acme);
    expect(children.status).toBe(200);
    const runs = children.body.runs as { runId: string; parentRunId: string; parentStepId: string; workflow: { name: string } }[];
    expect(runs.map((r) => [r.workflow.name, r.parentRunId, r.parentStepId])).toEqual([["review", runId, "review"]]);
    expect((await call(h, "GET", `/api/runs/${runs[0]!.runId}`, h.tokens.acme)).body.run).toMatchObject({ parentRunId: runId, parentStepId: "review" });
    expect((await call(h, "GET", `/api/runs/${runId}/children`, h.tokens.globex)).status).toBe(404);
  });
});
