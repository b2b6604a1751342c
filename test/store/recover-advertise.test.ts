/**
 * "The default stays when no process has the workflow": a lease holder whose recovery resumes a
 * workflow advertises it with its lease, and a sweeper that cannot resume a run of that workflow
 * leaves the run to it rather than ending it; once no live lease advertises the workflow, the
 * sweeper ends the run as abandoned as before. Runs of other workflows are ended at once.
 */
import { describe, expect, it } from "vitest";
import { createBus, recoverWorkflows, workflow } from "../../src/index.js";
import { createRunLease, createStoreWriter, RUN_ABANDONED, type EventStore } from "../../src/store/index.js";
import { CONFORMANCE_STORES } from "./store-fixtures.js";
import { storeScope } from "./store-scope.js";

const orders = workflow("orders", { version: "1", recover: "resume" }).step("a", () => 1).build();

/** A run of `name`@`version` stored under `ownerId`, with a step still running. */
async function runningRun(store: EventStore, runId: string, ownerId: string, name: string, version: string): Promise<void> {
  const bus = createBus();
  const writer = createStoreWriter(bus, store, { lease: { ownerId } });
  const wf = { name, version };
  void bus.emit({ type: "run.started", runId, accountId: "acct", workflow: wf });
  void bus.emit({ type: "step.started", runId, accountId: "acct", workflow: wf, stepId: "a", attempt: 1 });
  await writer.close();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const factory of CONFORMANCE_STORES) {
  describe(`recovery advertised with the lease: ${factory.name}`, { timeout: 30_000 }, () => {
    const { leases, open } = storeScope(factory);

    it("a sweeper without the workflow leaves its run to a live process that resumes it, and ends it once none does", async () => {
      const opened = await open();
      const { store } = opened;
      const advertiser = await createRunLease(store, { ttlMs: 60_000, recover: recoverWorkflows([orders], { bus: createBus() }) });
      await store.renewLease("dead", "host-a pid 1", 300);
      await runningRun(store, "order-1", "dead", "orders", "1");
      await runningRun(store, "order-v2", "dead", "orders", "2");
      await runningRun(store, "other-1", "dead", "billing", "1");
      await sleep(400);

      const ended: string[] = [];
      const plain = await createRunLease(store, { ttlMs: 60_000, onAbandoned: (run) => ended.push(run.runId) });
      leases.push(plain);
      // orders@1 is the advertiser's to resume; orders@2 and billing nobody resumes.
      expect(ended.sort()).toEqual(["order-v2", "other-1"]);
      expect((await store.getRun("acct", "order-1"))?.status).toBe("running");

      await advertiser.close();
      expect(await plain.sweep()).toEqual([expect.objectContaining({ runId: "order-1" })]);
      expect(await store.getRun("acct", "order-1")).toMatchObject({ status: "failed", error: { name: RUN_ABANDONED } });
    });
  });
}
