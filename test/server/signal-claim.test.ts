/**
 * The signal route claims a run before resuming it: two servers (each its own store connection,
 * bus, writer and run lease) given the same signal for one suspended run no process holds at
 * the same moment: exactly one resumes and finishes it (202), the other answers 409 saying the
 * run is held by another process. The trail stays gap-free with one terminal event.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createBus, workflow } from "../../src/index.js";
import { createServer } from "../../src/server/index.js";
import { createRunLease, createStoreWriter, type EventStore } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

const approvals = workflow<{ amount: number }>("approvals", { version: "1" })
  .step("draft", (ctx) => ctx.input.amount)
  .step("approve", (ctx) => ctx.waitFor<{ ok: boolean }>("approval"), { needs: ["draft"] })
  .step("pay", (ctx) => (ctx.steps.approve.ok ? ctx.steps.draft : 0), { needs: ["approve"] })
  .build();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("signal route: one of two servers resumes a run", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function server(path: string) {
    const store = await openSqliteStore({ path });
    const lease = await createRunLease(store, { ttlMs: 60_000 });
    const bus = createBus();
    const writer = createStoreWriter(bus, store, { lease, flushIntervalMs: 5 });
    const created = await createServer({ store, bus, writer, lease, workflows: [approvals], auth: { defaultAccount: "acme" }, onNotice: () => undefined });
    cleanups.unshift(async () => {
      await created.close();
      await writer.close();
      await lease.close();
      await store.close();
    });
    return { store, app: created.app };
  }

  it("two servers get the signal at once: one 202 resumes and finishes it, the other 409", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runtrail-signal-claim-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "runtrail.db");
    const starter: EventStore = await openSqliteStore({ path });
    // The run's first process: no lease, gone once the run waits.
    const bus = createBus();
    const writer = createStoreWriter(bus, starter, { flushIntervalMs: 5 });
    const suspended = new Promise<void>((resolve) => bus.onEvent(() => resolve(), { type: "run.suspended" }));
    const run = approvals.start({ amount: 9 }, { bus, accountId: "acme" });
    await suspended;
    await writer.close();
    await starter.close();

    const a = await server(path);
    const b = await server(path);
    const send = (app: typeof a.app) => app.inject({ method: "POST", url: `/api/runs/${run.runId}/signals/approval`, payload: { ok: true } });
    const answers = await Promise.all([send(a.app), send(b.app)]);
    const codes = answers.map((answer) => answer.statusCode).sort();
    expect(codes).toEqual([202, 409]);
    const lost = answers.find((answer) => answer.statusCode === 409)!;
    expect(lost.json()).toMatchObject({ error: "conflict", message: expect.stringMatching(new RegExp(`^cannot resume run ${run.runId}: run "${run.runId}" is (suspended and held|executing) in another process \\(lease `)) });
    expect(answers.find((answer) => answer.statusCode === 202)!.json()).toEqual({ runId: run.runId, signal: "approval", resumedFromTrail: true });

    let events: { seq: number; type: string }[] = [];
    for (let i = 0; i < 200 && events.at(-1)?.type !== "run.completed"; i++) {
      await sleep(20);
      events = (await a.store.readRun("acme", run.runId, { limit: 1_000 })).items.map((item) => item.event);
    }
    expect(events.at(-1)).toMatchObject({ type: "run.completed", output: 9 });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => ["run.completed", "run.failed", "run.cancelled"].includes(e.type))).toHaveLength(1);
    expect(events.filter((e) => e.type === "signal.received")).toHaveLength(1);
  });
});
