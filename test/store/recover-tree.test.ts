/**
 * Crash recovery of a run with a sub-workflow run in flight: the process died while a step of
 * the child run was running. The sweep leaves the child run while its parent is open (it is not
 * ended as abandoned on its own); the recovered parent goes on with the child from the child's
 * trail: the child's completed step ran once, its running step ran again, and both trails are
 * gap-free with exactly one terminal event each.
 */
import { describe, expect, it } from "vitest";
import { createBus, recoverWorkflows, subRunId, workflow, type RunHandle, type RuntrailEvent } from "../../src/index.js";
import { createRunLease, createStoreWriter, iterateRun, type AbandonedRun, type EventStore } from "../../src/store/index.js";
import { CONFORMANCE_STORES } from "./store-fixtures.js";
import { storeScope } from "./store-scope.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const TERMINAL = ["run.completed", "run.failed", "run.cancelled"];

async function trailOf(store: EventStore, runId: string): Promise<RuntrailEvent[]> {
  const out: RuntrailEvent[] = [];
  for await (const { event } of iterateRun(store, "acct", runId)) out.push(event);
  return out;
}

for (const factory of CONFORMANCE_STORES) {
  describe(`crash recovery of a run tree: ${factory.name}`, { timeout: 30_000 }, () => {
    const { leases, open } = storeScope(factory);

    it("a child run's step running at the crash runs again inside the recovered parent; the child is not ended on its own", async () => {
      const opened = await open();
      const { store } = opened;
      let dead = true;
      const calls: string[] = [];
      const pack = workflow<number>("pack", { version: "1" })
        .step("label", (ctx) => (calls.push("label"), `#${ctx.input}`))
        .step("box", async (ctx) => {
          calls.push("box");
          if (dead) await new Promise(() => undefined);
          return `${ctx.steps.label} boxed`;
        }, { needs: ["label"] })
        .build();
      const ship = workflow<number>("ship", { version: "1", recover: "resume" })
        .step("prep", (ctx) => (calls.push("prep"), ctx.input))
        .subworkflow("pack", pack, { needs: ["prep"], input: (s) => s.steps.prep })
        .step("send", (ctx) => (calls.push("send"), `${ctx.steps.pack} sent`), { needs: ["pack"] })
        .build();

      // The process that dies mid-"box": its lease lives 300 ms.
      await store.renewLease("worker-1", "host-a pid 9", 300);
      const deadBus = createBus();
      const deadWriter = createStoreWriter(deadBus, store, { lease: { ownerId: "worker-1" }, flushIntervalMs: 5 });
      ship.start(5, { bus: deadBus, runId: "ship-1", accountId: "acct" });
      const childId = subRunId("ship-1", { stepId: "pack", attempt: 1 });
      for (let i = 0; i < 200 && !(await trailOf(store, childId)).some((e) => e.type === "step.started" && e.stepId === "box"); i++) await sleep(5);
      await deadWriter.close();
      await sleep(400);
      expect(calls).toEqual(["prep", "label", "box"]);

      dead = false;
      const bus = createBus();
      const resumed: RunHandle<unknown>[] = [];
      const abandoned: AbandonedRun[] = [];
      const lease = await createRunLease(store, {
        ttlMs: 60_000,
        recover: recoverWorkflows([ship], { bus, onResumed: (handle) => resumed.push(handle) }),
        onAbandoned: (run) => abandoned.push(run),
      });
      leases.push(lease);
      const writer = createStoreWriter(bus, store, { lease, flushIntervalMs: 5 });
      // The first sweep ends nothing: the parent is left for recovery, the child while its parent is open.
      expect(abandoned).toEqual([]);
      await lease.sweep();
      expect(resumed.map((handle) => handle.runId)).toEqual(["ship-1"]);
      await expect(resumed[0]!.result).resolves.toBe("#5 boxed sent");
      await writer.close();
      expect(abandoned).toEqual([]);
      expect(calls).toEqual(["prep", "label", "box", "box", "send"]);
      for (const runId of ["ship-1", childId]) {
        const events = await trailOf(store, runId);
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        expect(events.filter((e) => TERMINAL.includes(e.type)).map((e) => e.type)).toEqual(["run.completed"]);
      }
      // A later sweep finds nothing left: both runs ended.
      expect(await lease.sweep()).toEqual([]);
    });
  });
}
