/**
 * A wait that times out while no process holds its run: the run is a row in the store (its
 * process exited), so nothing in memory can fire the timeout. A lease holder with the workflow
 * registered finds it by the stored deadline (`store.dueRuns`), claims it and resumes it, and the
 * wait's `signal.timeout` fires then (not at some later signal). A lease holder without the
 * workflow leaves it alone.
 */
import { describe, expect, it } from "vitest";
import { createBus, recoverWorkflows, workflow, type RunHandle, type RuntrailEvent } from "../../src/index.js";
import { createRunLease, createStoreWriter, iterateRun, type EventStore } from "../../src/store/index.js";
import { CONFORMANCE_STORES } from "./store-fixtures.js";
import { storeScope } from "./store-scope.js";

const WAIT_MS = 300;
const approvals = workflow<{ amount: number }>("approvals", { version: "1" })
  .step("draft", (ctx) => ctx.input.amount)
  .step("approve", (ctx) => ctx.waitFor<{ approved: boolean }>("approval", { timeoutMs: WAIT_MS, onTimeout: "resume", timeoutValue: { approved: false } }), { needs: ["draft"] })
  .step("settle", (ctx) => ({ amount: ctx.steps.draft, approved: ctx.steps.approve.approved }), { needs: ["approve"] })
  .build();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The run's first process: stores the trail until the run waits, then is gone (its run cancelled in memory, unstored). */
async function waitingRun(store: EventStore, runId: string): Promise<void> {
  const bus = createBus();
  const writer = createStoreWriter(bus, store);
  const suspended = new Promise<void>((resolve) => bus.onEvent(() => resolve(), { type: "run.suspended" }));
  const run = approvals.start({ amount: 4 }, { bus, runId, accountId: "acct" });
  await suspended;
  await writer.close();
  run.cancel("the process is gone");
  await run.result.catch(() => undefined);
}

for (const factory of CONFORMANCE_STORES) {
  describe(`wait timeouts with no process: ${factory.name}`, { timeout: 30_000 }, () => {
    const { leases, open } = storeScope(factory);

    it("a lease holder's sweep resumes the run once its wait's deadline passed, and the timeout fires", async () => {
      const opened = await open();
      const { store } = opened;
      await waitingRun(store, "late");
      expect(await store.dueRuns(10)).toEqual([]);
      expect((await store.getRun("acct", "late"))?.status).toBe("suspended");

      // A process without the workflow leaves it; one with it (any `recover`) resumes it.
      const bystander = await createRunLease(store, { ttlMs: 60_000, recover: recoverWorkflows([], { bus: createBus() }) });
      leases.push(bystander);
      const bus = createBus();
      const woken: RunHandle<unknown>[] = [];
      const lease = await createRunLease(store, { ttlMs: 60_000, recover: recoverWorkflows([approvals], { bus, onWoken: (handle) => woken.push(handle) }) });
      leases.push(lease);
      const writer = createStoreWriter(bus, store, { lease, flushIntervalMs: 5 });
      await sleep(WAIT_MS + 100);
      expect(await store.dueRuns(10)).toEqual([expect.objectContaining({ accountId: "acct", runId: "late", workflow: { name: "approvals", version: "1" } })]);
      await bystander.sweep();
      expect(woken).toEqual([]);
      expect((await store.getRun("acct", "late"))?.status).toBe("suspended");

      await lease.sweep();
      expect(woken.map((handle) => handle.runId)).toEqual(["late"]);
      await expect(woken[0]!.result).resolves.toEqual({ amount: 4, approved: false });
      await writer.close();
      const events: RuntrailEvent[] = [];
      for await (const { event } of iterateRun(store, "acct", "late")) events.push(event);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.find((e) => e.type === "signal.timeout")).toMatchObject({ signal: "approval", action: "resume", timeoutMs: WAIT_MS });
      expect(events.filter((e) => ["run.completed", "run.failed", "run.cancelled"].includes(e.type)).map((e) => e.type)).toEqual(["run.completed"]);
      expect(await store.dueRuns(10)).toEqual([]);
    });
  });
}
