/**
 * Run leases on every store: a writer with a lease ties its runs to it; once that lease expires
 * (its process died), a sweep ends each unfinished run with a stored `run.failed` (RunAbandoned,
 * the last stored seq) at the next seq; finished runs and runs of a live lease are left alone;
 * two sweepers racing end a run exactly once. (Real killed processes: lease-crash.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { createBus } from "../../src/bus/index.js";
import { createRunLease, createStoreWriter, iterateRun, RUN_ABANDONED, type EventStore } from "../../src/store/index.js";
import { CONFORMANCE_STORES } from "./store-fixtures.js";
import { storeScope } from "./store-scope.js";

const workflow = { name: "leased", version: "2" };

/** Writes `steps` step events of `runId` under lease `ownerId` (and the terminal event if `end`). */
async function writeRun(store: EventStore, ownerId: string, runId: string, steps: number, end = false): Promise<void> {
  const bus = createBus();
  const writer = createStoreWriter(bus, store, { lease: { ownerId } });
  void bus.emit({ type: "run.started", runId, accountId: "acct", workflow });
  for (let i = 0; i < steps; i++) void bus.emit({ type: "step.completed", runId, accountId: "acct", workflow, stepId: `s${i}`, durationMs: 1 });
  if (end) void bus.emit({ type: "run.completed", runId, accountId: "acct", workflow, durationMs: 5 });
  await writer.close();
}

async function types(store: EventStore, runId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const { event } of iterateRun(store, "acct", runId)) out.push(`${event.seq}:${event.type}`);
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const factory of CONFORMANCE_STORES) {
  describe(`run leases: ${factory.name}`, () => {
    const { leases, open } = storeScope(factory);

    it("ends the unfinished runs of an expired lease with a stored run.failed at the next seq", async () => {
      const opened = await open();
      const { store } = opened;
      // A dead process: its lease was renewed once, for 1.5 s, and never again.
      await store.renewLease("dead", "host-a pid 1", 1_500);
      await writeRun(store, "dead", "open-1", 3);
      await writeRun(store, "dead", "done-1", 2, true);
      const live = await createRunLease(store, { ttlMs: 60_000 });
      leases.push(live);
      await writeRun(store, live.ownerId, "live-1", 1);
      expect((await store.getRun("acct", "open-1"))?.status).toBe("running");

      await sleep(1_600);
      const abandoned: string[] = [];
      const sweeper = await createRunLease(store, { ttlMs: 60_000, onAbandoned: (run) => abandoned.push(run.runId) });
      leases.push(sweeper);
      expect(abandoned).toEqual(["open-1"]);

      expect(await types(store, "open-1")).toEqual(["1:run.started", "2:step.completed", "3:step.completed", "4:step.completed", "5:run.failed"]);
      const run = await store.getRun("acct", "open-1");
      expect(run).toMatchObject({ status: "failed", lastSeq: 5, workflow, error: { name: RUN_ABANDONED, code: "lease_expired" } });
      expect(run?.error?.message).toContain("host-a pid 1");
      expect(run?.error?.message).toContain("the last stored event is seq 4");
      expect(await types(store, "done-1")).toEqual(["1:run.started", "2:step.completed", "3:step.completed", "4:run.completed"]);
      expect((await store.getRun("acct", "live-1"))?.status).toBe("running");
      // Nothing more to do: a second sweep ends nothing, and the dead lease row is gone.
      expect(await sweeper.sweep()).toEqual([]);
      expect(await store.abandonedRuns(10)).toEqual([]);
    });

    it("treats a released lease's unfinished run as abandoned, and two racing sweepers end it once", async () => {
      const opened = await open();
      const { store } = opened;
      const gone = await createRunLease(store, { ttlMs: 60_000 });
      await writeRun(store, gone.ownerId, "left", 2);
      await gone.close();
      const [a, b] = await Promise.all([createRunLease(store, { ttlMs: 60_000 }), createRunLease(store, { ttlMs: 60_000 })]);
      leases.push(a, b);
      expect(await types(store, "left")).toEqual(["1:run.started", "2:step.completed", "3:step.completed", "4:run.failed"]);
      expect((await store.getRun("acct", "left"))?.error?.message).toContain("released its lease");
    });

    it("a process that stalled past its ttl finds its runs ended by another, and is told so at its next renewal", async () => {
      const opened = await open();
      const { store } = opened;
      const errors: string[] = [];
      // Renewing less often than it expires: a stand-in for a process frozen past its ttl.
      const lease = await createRunLease(store, { ttlMs: 300, renewEveryMs: 1_500, onError: (error) => errors.push(error.message) });
      leases.push(lease);
      await writeRun(store, lease.ownerId, "stalled", 1);
      await sleep(500);
      leases.push(await createRunLease(store, { ttlMs: 60_000 }));
      expect((await store.getRun("acct", "stalled"))?.error?.name).toBe(RUN_ABANDONED);
      expect(errors).toEqual([]);
      await sleep(1_300);
      expect(errors.join("\n")).toMatch(/had expired before this renewal.*may have been ended as abandoned/);
    });

    it("keeps a renewed lease's runs open past its first ttl", async () => {
      const opened = await open();
      const { store } = opened;
      const lease = await createRunLease(store, { ttlMs: 1_000, renewEveryMs: 100 });
      leases.push(lease);
      await writeRun(store, lease.ownerId, "kept", 1);
      await sleep(1_500);
      const other = await createRunLease(store, { ttlMs: 60_000 });
      leases.push(other);
      expect((await store.getRun("acct", "kept"))?.status).toBe("running");
    });
  });
}
