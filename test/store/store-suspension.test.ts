/**
 * The runs row tells what a suspended run waits for (from its latest `run.suspended`, cleared by
 * the next status change, whichever batch it lands in) and which parent step started a
 * sub-workflow run; `listRuns({ parentRunId })` finds a run's child runs. On every store.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBus } from "runtrail";
import { createStoreWriter, type EventStore } from "../../src/store/index.js";
import { CONFORMANCE_STORES, type OpenedStore } from "./store-fixtures.js";

const wf = { name: "approvals", version: "1" };
const schema = { type: "object", properties: { approved: { type: "boolean" } }, required: ["approved"] };

for (const factory of CONFORMANCE_STORES) {
  describe(`runs row: suspension and parent step, ${factory.name}`, () => {
    let opened: OpenedStore;
    let store: EventStore;
    beforeEach(async () => {
      opened = await factory.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.dispose();
    });

    it("holds the wait while suspended and clears it on resume, across batches", async () => {
      const bus = createBus({ clock: () => 5_000 });
      const writer = createStoreWriter(bus, store, { batchSize: 1_000, flushIntervalMs: 1_000 });
      const base = { runId: "r1", workflow: wf };
      await bus.emit({ type: "run.started", ...base });
      await bus.emit({ type: "step.started", ...base, stepId: "ask", attempt: 1 });
      await bus.emit({
        type: "run.suspended", ...base, reason: 'step "ask" waits for signal "approval"', by: "step:ask", waitingFor: "approval",
        wait: { stepId: "ask", attempt: 1, index: 0, timeoutMs: 60_000, deadline: 65_000, onTimeout: "fail", schema },
      });
      await writer.flush();
      const suspended = await store.getRun("default", "r1");
      expect(suspended?.status).toBe("suspended");
      expect(suspended?.suspension).toEqual({
        since: 5_000, seq: 3, reason: 'step "ask" waits for signal "approval"', by: "step:ask", waitingFor: "approval",
        stepId: "ask", timeoutMs: 60_000, deadline: 65_000, schema,
      });
      // A batch without a status event keeps it.
      await bus.emit({ type: "custom.note", ...base, data: { n: 1 } } as never);
      await writer.flush();
      expect((await store.getRun("default", "r1"))?.suspension?.waitingFor).toBe("approval");
      const listed = await store.listRuns("default", { status: "suspended" });
      expect(listed.items.map((run) => run.suspension?.waitingFor)).toEqual(["approval"]);

      await bus.emit({ type: "signal.received", ...base, stepId: "ask", attempt: 1, signal: "approval", index: 0, payload: { approved: true } });
      await bus.emit({ type: "run.resumed", ...base, by: "alice", signal: "approval" });
      await writer.flush();
      const resumed = await store.getRun("default", "r1");
      expect(resumed?.status).toBe("running");
      expect(resumed?.suspension).toBeUndefined();

      // A pause from outside: who and why, no wait; then suspended and resumed in one batch.
      await bus.emit({ type: "run.suspended", ...base, reason: "quota", by: "ops" });
      await writer.flush();
      expect((await store.getRun("default", "r1"))?.suspension).toEqual({ since: 5_000, seq: 7, reason: "quota", by: "ops" });
      await bus.emit({ type: "run.resumed", ...base, by: "ops" });
      await bus.emit({ type: "run.suspended", ...base, reason: "again", by: "ops" });
      await bus.emit({ type: "run.resumed", ...base, by: "ops" });
      await writer.flush();
      expect((await store.getRun("default", "r1"))?.suspension).toBeUndefined();
      await writer.close();
    });

    it("stores a sub-workflow run's parent step and lists a run's children by parent", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, store, { batchSize: 1_000, flushIntervalMs: 1_000 });
      await bus.emit({ type: "run.started", runId: "parent", workflow: wf });
      await bus.emit({ type: "run.started", runId: "child-a", workflow: { name: "sub" }, parentRunId: "parent", parentStepId: "review", parentAttempt: 1 });
      await bus.emit({ type: "run.started", runId: "child-b", workflow: { name: "sub" }, parentRunId: "parent", parentStepId: "audit", parentAttempt: 1 });
      await bus.emit({ type: "run.started", runId: "other", workflow: wf });
      await writer.flush();
      const children = await store.listRuns("default", { parentRunId: "parent" });
      expect(children.items.map((run) => [run.runId, run.parentRunId, run.parentStepId]).sort()).toEqual([
        ["child-a", "parent", "review"],
        ["child-b", "parent", "audit"],
      ]);
      expect((await store.getRun("default", "parent"))?.parentStepId).toBeUndefined();
      expect((await store.listRuns("other-account", { parentRunId: "parent" })).items).toEqual([]);
      await writer.close();
    });
  });
}
