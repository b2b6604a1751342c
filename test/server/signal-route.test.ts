import { afterEach, describe, expect, it } from "vitest";
import { Type } from "@sinclair/typebox";
import { createBus, type RuntrailEvent } from "runtrail";
import { workflow } from "../../src/engine/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import { call, startHarness, type Harness } from "./server-fixtures.js";

const Approval = Type.Object({ approved: Type.Boolean() });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A workflow that drafts, waits for an approval, then pays; counts its steps' calls. */
function approvals(calls: string[]) {
  return workflow<{ amount: number }>("approvals", { version: "1" })
    .step("draft", (ctx) => {
      calls.push("draft");
      return { amount: ctx.input.amount };
    })
    .step("approval", async (ctx) => {
      const answer = await ctx.waitFor("approval", { schema: Approval });
      return { approved: answer.approved };
    }, { needs: ["draft"] })
    .step("pay", (ctx) => {
      calls.push("pay");
      return { paid: ctx.steps.approval.approved, amount: ctx.steps.draft.amount };
    }, { needs: ["approval"] })
    .build();
}

async function storedStatus(h: Harness, runId: string, status: string, account = "acme"): Promise<void> {
  const end = Date.now() + 5_000;
  while (Date.now() < end) {
    const run = await h.store.getRun(account, runId);
    if (run?.status === status) return;
    await sleep(10);
  }
  throw new Error(`run ${runId} never reached ${status}`);
}

async function trail(h: Harness, runId: string, account = "acme"): Promise<RuntrailEvent[]> {
  const page = await h.store.readRun(account, runId, { limit: 10_000 });
  return page.items.map((item) => item.event);
}

describe("POST /api/runs/:runId/signals/:name", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("delivers the signal to a run this server holds: tenancy, read-only, schema, name are checked", async () => {
    const calls: string[] = [];
    h = await startHarness({ workflows: [approvals(calls)] });
    const started = await call(h, "POST", "/api/workflows/approvals/runs", h.tokens.acme, { input: { amount: 7 } });
    const runId = started.body.runId as string;
    await storedStatus(h, runId, "suspended");
    const path = `/api/runs/${runId}/signals/approval`;

    expect((await call(h, "POST", path, h.tokens.globex, { approved: true })).status).toBe(404);
    const readOnly = await call(h, "POST", path, h.tokens.acmeReadOnly, { approved: true });
    expect(readOnly.status).toBe(403);
    const bad = await call(h, "POST", path, h.tokens.acme, { approved: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: "bad_request", field: "body.approved" });
    expect(bad.body.message).toMatch(/signal "approval": payload field \/approved/);
    const other = await call(h, "POST", `/api/runs/${runId}/signals/nope`, h.tokens.acme, {});
    expect(other.status).toBe(409);
    expect(other.body.message).toMatch(/not waiting for signal "nope": it waits for "approval"/);

    const ok = await call(h, "POST", path, h.tokens.acme, { approved: true });
    expect(ok).toEqual({ status: 202, body: { runId, signal: "approval", resumedFromTrail: false } });
    await storedStatus(h, runId, "completed");
    const events = await trail(h, runId);
    expect(events.find((e) => e.type === "signal.received")).toMatchObject({ signal: "approval", payload: { approved: true }, by: "api-token (account acme)" });
    expect(events.at(-1)).toMatchObject({ type: "run.completed", output: { paid: true, amount: 7 } });
    expect(calls).toEqual(["draft", "pay"]);
    const again = await call(h, "POST", path, h.tokens.acme, { approved: true });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/has completed/);
  });

  it("resumes a run no process holds from its stored trail: earlier steps not run again, seq gap-free", async () => {
    const calls: string[] = [];
    const wf = approvals(calls);
    h = await startHarness({ workflows: [wf] });
    // Another "process": its own bus and writer on the same store, gone once the run waits.
    const otherBus = createBus();
    const otherWriter = createStoreWriter(otherBus, h.store, { flushIntervalMs: 5 });
    const first = wf.start({ amount: 3 }, { bus: otherBus, accountId: "acme" });
    await storedStatus(h, first.runId, "suspended");
    await otherWriter.close();
    expect(calls).toEqual(["draft"]);

    const ok = await call(h, "POST", `/api/runs/${first.runId}/signals/approval`, h.tokens.acme, { approved: false });
    expect(ok).toEqual({ status: 202, body: { runId: first.runId, signal: "approval", resumedFromTrail: true } });
    await storedStatus(h, first.runId, "completed");
    expect(calls).toEqual(["draft", "pay"]);
    const events = await trail(h, first.runId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "run.started")).toHaveLength(1);
    expect(events.filter((e) => e.type === "step.started" && e.stepId === "draft")).toHaveLength(1);
    expect(events.filter((e) => e.type === "step.started" && e.stepId === "approval")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "run.completed", output: { paid: false, amount: 3 } });
  });

  it("refuses to resume a run started by another version, naming both", async () => {
    const calls: string[] = [];
    h = await startHarness({ workflows: [approvals(calls)] });
    const old = workflow<{ amount: number }>("approvals", { version: "0" }).step("approval", (ctx) => ctx.waitFor("approval")).build();
    const otherBus = createBus();
    const otherWriter = createStoreWriter(otherBus, h.store, { flushIntervalMs: 5 });
    const run = old.start({ amount: 1 }, { bus: otherBus, accountId: "acme" });
    await storedStatus(h, run.runId, "suspended");
    await otherWriter.close();
    const refused = await call(h, "POST", `/api/runs/${run.runId}/signals/approval`, h.tokens.acme, {});
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(`cannot resume run ${run.runId}: it was started by "approvals" version "0", and this process has version "1"`);
  });

  it("does not resume a run another process is running (not suspended)", async () => {
    h = await startHarness({ workflows: [approvals([])] });
    const otherBus = createBus();
    const otherWriter = createStoreWriter(otherBus, h.store, { flushIntervalMs: 5 });
    let release = (): void => undefined;
    const busy = workflow("approvals", { version: "1" }).step("slow", () => new Promise<void>((resolve) => (release = resolve))).build();
    const run = busy.start(undefined, { bus: otherBus, accountId: "acme" });
    await storedStatus(h, run.runId, "running");
    await otherWriter.flush();
    const refused = await call(h, "POST", `/api/runs/${run.runId}/signals/approval`, h.tokens.acme, {});
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(`run "${run.runId}" is running in another process, and this server does not hold it`);
    release();
    await run.result;
    await otherWriter.close();
  });
});
