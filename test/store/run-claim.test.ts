/**
 * One process resumes a run: `store.claimRun` ties a run to a lease only if it is suspended and
 * no live lease holds it, or the lease that held it expired; of two concurrent claimants (on
 * connections of their own) exactly one wins, and of two processes calling `resumeRun` with
 * their lease on one suspended run exactly one goes on (the other is refused, saying who holds
 * it), and the trail stays gap-free with one terminal event.
 */
import { describe, expect, it } from "vitest";
import { createBus, resumeRun, ResumeRefusedError, workflow, type RunHandle } from "../../src/index.js";
import { createRunLease, createStoreWriter, iterateRun, type EventStore, type RunLease } from "../../src/store/index.js";
import { CONFORMANCE_STORES } from "./store-fixtures.js";
import { storeScope } from "./store-scope.js";

const approvals = workflow<{ amount: number }>("approvals", { version: "1" })
  .step("draft", (ctx) => ctx.input.amount)
  .step("approve", (ctx) => ctx.waitFor<{ ok: boolean }>("approval"), { needs: ["draft"] })
  .step("pay", (ctx) => (ctx.steps.approve.ok ? ctx.steps.draft : 0), { needs: ["approve"] })
  .build();

/** Starts a run that suspends waiting for "approval", stored under `ownerId` (or no lease), and leaves it. */
async function suspendedRun(store: EventStore, runId: string, ownerId?: string): Promise<void> {
  const bus = createBus();
  const writer = createStoreWriter(bus, store, ownerId === undefined ? {} : { lease: { ownerId } });
  const suspended = new Promise<void>((resolve) => bus.onEvent(() => resolve(), { type: "run.suspended" }));
  approvals.start({ amount: 5 }, { bus, runId, accountId: "acct" });
  await suspended;
  await writer.close();
}

/** A running run (a step started, none after it), stored under `ownerId`. */
async function runningRun(store: EventStore, runId: string, ownerId: string | undefined, end = false): Promise<void> {
  const bus = createBus();
  const writer = createStoreWriter(bus, store, ownerId === undefined ? {} : { lease: { ownerId } });
  const wf = { name: "raw" };
  void bus.emit({ type: "run.started", runId, accountId: "acct", workflow: wf });
  void bus.emit({ type: "step.started", runId, accountId: "acct", workflow: wf, stepId: "a", attempt: 1 });
  if (end) void bus.emit({ type: "run.completed", runId, accountId: "acct", workflow: wf, durationMs: 1 });
  await writer.close();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const factory of CONFORMANCE_STORES) {
  describe(`run claims: ${factory.name}`, { timeout: 60_000 }, () => {
    const { leases, open } = storeScope(factory);

    async function leaseOn(store: EventStore): Promise<RunLease> {
      const lease = await createRunLease(store, { ttlMs: 60_000 });
      leases.push(lease);
      return lease;
    }

    it("takes a run only when no other process can be executing it, and says why not otherwise", async () => {
      const opened = await open();
      const { store } = opened;
      const live = await leaseOn(store);
      const me = await leaseOn(store);
      await store.renewLease("dead", "host-a pid 1", 300);
      await suspendedRun(store, "unheld");
      await suspendedRun(store, "held", live.ownerId);
      await runningRun(store, "live-running", live.ownerId);
      await runningRun(store, "unleased", undefined);
      await runningRun(store, "dead-running", "dead");
      await runningRun(store, "ended", "dead", true);
      await sleep(400);

      expect(await me.claim("acct", "unheld")).toMatchObject({ claimed: true, status: "suspended" });
      expect(await me.claim("acct", "dead-running")).toMatchObject({ claimed: true, status: "running", lastSeq: 2, previousOwner: "dead" });
      expect(await me.claim("acct", "held")).toMatchObject({ claimed: false, refusal: "held", message: expect.stringContaining(`suspended and held in another process (lease ${live.ownerId}`) });
      expect(await me.claim("acct", "live-running")).toMatchObject({ claimed: false, refusal: "held", message: expect.stringContaining("executing in another process") });
      expect(await me.claim("acct", "unleased")).toMatchObject({ claimed: false, refusal: "unleased" });
      expect(await me.claim("acct", "ended")).toMatchObject({ claimed: false, refusal: "ended" });
      expect(await me.claim("acct", "nope")).toMatchObject({ claimed: false, refusal: "unknown" });
      expect(await store.claimRun("other-acct", "unheld", me.ownerId)).toMatchObject({ claimed: false, refusal: "unknown" });
      // Claimed once, it is this lease's: a second claim (the same process resuming twice) is refused.
      expect(await me.claim("acct", "unheld")).toMatchObject({ claimed: false, refusal: "held", message: expect.stringContaining("already held by this lease") });
      // A claimant whose own lease lapsed is no live process.
      expect(await store.claimRun("acct", "dead-running", "dead")).toMatchObject({ claimed: false, refusal: "lease-lapsed" });
      // Given back to no process, it is free again; the release needs the claimant to hold it.
      expect(await live.release("acct", "unheld", null)).toBe(false);
      expect(await me.release("acct", "unheld", null)).toBe(true);
      expect(await live.claim("acct", "unheld")).toMatchObject({ claimed: true });
    });

    it("two concurrent claimants of one run: exactly one wins", async () => {
      const opened = await open();
      const { store } = opened;
      const other = await opened.reopen();
      // Taken first: a lease's first sweep would end (claiming) the dead lease's runs itself.
      const a = await leaseOn(store);
      const b = await leaseOn(other);
      await store.renewLease("dead", "host-a pid 1", 300);
      for (let i = 0; i < 5; i++) await runningRun(store, `race-${i}`, "dead");
      await sleep(400);
      for (let i = 0; i < 5; i++) {
        const claims = await Promise.all([a.claim("acct", `race-${i}`), b.claim("acct", `race-${i}`)]);
        expect(claims.filter((claim) => claim.claimed)).toHaveLength(1);
        expect(claims.find((claim) => !claim.claimed)).toMatchObject({ refusal: "held" });
      }
    });

    it("two processes resume one suspended run with their leases: one goes on, the other is refused", async () => {
      const opened = await open();
      const { store } = opened;
      const other = await opened.reopen();
      await suspendedRun(store, "wanted");
      const sides = await Promise.all(
        [store, other].map(async (side) => {
          const lease = await leaseOn(side);
          const bus = createBus();
          const writer = createStoreWriter(bus, side, { lease });
          return { side, lease, bus, writer };
        }),
      );
      const attempts = await Promise.allSettled(sides.map(({ side, lease, bus }) => resumeRun(side, "wanted", approvals, { accountId: "acct", bus, lease })));
      const won = attempts.filter((attempt): attempt is PromiseFulfilledResult<RunHandle<unknown>> => attempt.status === "fulfilled");
      const lost = attempts.filter((attempt): attempt is PromiseRejectedResult => attempt.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(ResumeRefusedError);
      expect(String(lost[0]!.reason.message)).toMatch(/cannot resume run wanted: run "wanted" is suspended and held in another process \(lease /);
      const handle = won[0]!.value;
      await handle.signal("approval", { ok: true });
      await expect(handle.result).resolves.toBe(5);
      for (const { writer } of sides) await writer.close();
      const events = [];
      for await (const { event } of iterateRun(store, "acct", "wanted")) events.push(event);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => e.type === "run.completed" || e.type === "run.failed" || e.type === "run.cancelled")).toHaveLength(1);
      expect(await store.getRun("acct", "wanted")).toMatchObject({ status: "completed" });
    });
  });
}
