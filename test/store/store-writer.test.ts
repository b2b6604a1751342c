/**
 * The writer's own behaviour, against each real store: sync acknowledgements, flush and close,
 * retries through an outage, and backpressure once its bound is reached.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBus, type EventInput } from "runtrail";
import { createStoreWriter, WriterClosedError, type AppendBatch, type CommittedBatch, type EventStore, type PreparedEvent, type WriterFailure } from "../../src/store/index.js";
import { CONFORMANCE_STORES, type OpenedStore } from "./store-fixtures.js";

const wf = { name: "w" };
const step = (runId: string, i: number): EventInput => ({ type: "step.completed", runId, workflow: wf, stepId: `s${i}`, durationMs: 1 });
const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The real store, with an outage switch: while `down`, every append fails before touching it. */
function withOutage(store: EventStore): { store: EventStore; outage: { down: boolean; attempts: number } } {
  const outage = { down: false, attempts: 0 };
  const flaky: EventStore = Object.create(store) as EventStore;
  flaky.append = (batch: AppendBatch) => {
    outage.attempts++;
    return outage.down ? Promise.reject(new Error("connection refused")) : store.append(batch);
  };
  return { store: flaky, outage };
}

async function seqs(store: EventStore, runId: string): Promise<number[]> {
  return (await store.readRun("default", runId, { limit: 10_000 })).items.map((s) => s.event.seq);
}

for (const factory of CONFORMANCE_STORES) {
  describe(`store writer: ${factory.name}`, () => {
    let opened: OpenedStore;
    beforeEach(async () => {
      opened = await factory.open();
    });
    afterEach(async () => {
      await opened.dispose();
    });

    it("sync: each emit resolves only once its event is committed and readable elsewhere", async () => {
      const writer = createStoreWriter(createBus(), opened.store, { durability: "sync" });
      const reader = await opened.reopen();
      for (let i = 1; i <= 5; i++) {
        const ack = writer.bus.emit(step("sy", i));
        expect(ack).toBeInstanceOf(Promise);
        await ack;
        expect(await seqs(reader, "sy")).toEqual(Array.from({ length: i }, (_, k) => k + 1));
      }
      // Concurrent producers share commits and are all acknowledged.
      await Promise.all(Array.from({ length: 50 }, (_, i) => writer.bus.emit(step(`c${i % 5}`, i)) ?? Promise.resolve()));
      for (let r = 0; r < 5; r++) expect(await seqs(reader, `c${r}`)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      await writer.close();
      expect(() => writer.bus.emit(step("sy", 9))).toThrow(WriterClosedError);
    });

    it("batched: flush commits at once, whatever the interval; close writes everything pending", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, opened.store, { batchSize: 1_000, flushIntervalMs: 60_000 });
      for (let i = 0; i < 25; i++) void bus.emit(step("fl", i));
      await tick(20);
      expect(await seqs(opened.store, "fl")).toEqual([]);
      await writer.flush();
      expect((await seqs(opened.store, "fl")).length).toBe(25);
      for (let i = 0; i < 7; i++) void bus.emit(step("fl", i));
      await writer.close();
      expect(await seqs(opened.store, "fl")).toEqual(Array.from({ length: 32 }, (_, k) => k + 1));
      expect(writer.stats()).toEqual({ received: 32, written: 32, pending: 0, batches: 2, failures: 0, retrying: false });
    });

    it("retries through an outage with backoff, reports each failure, and stores everything once", async () => {
      const { store, outage } = withOutage(opened.store);
      const failures: WriterFailure[] = [];
      const bus = createBus();
      const writer = createStoreWriter(bus, store, { batchSize: 10, flushIntervalMs: 1, retryDelayMs: 2, maxRetryDelayMs: 8, onError: (f) => failures.push(f) });
      outage.down = true;
      for (let i = 0; i < 10; i++) void bus.emit(step("out", i));
      while (failures.length < 4) await tick(2);
      outage.down = false;
      await writer.flush();
      expect(failures.slice(0, 4).map((f) => [f.attempt, f.batchSize, f.retryInMs])).toEqual([
        [1, 10, 2],
        [2, 10, 4],
        [3, 10, 8],
        [4, 10, 8],
      ]);
      expect((failures[0]?.error as Error).message).toBe("connection refused");
      expect(await seqs(opened.store, "out")).toEqual(Array.from({ length: 10 }, (_, k) => k + 1));
      expect(writer.stats()).toMatchObject({ written: 10, failures: failures.length, retrying: false });
      await writer.close();
    });

    it("onCommit: hands each committed batch, as stored and with its cursors, before flush resolves", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, opened.store, { batchSize: 4, flushIntervalMs: 60_000, maxFieldBytes: 64, onError: () => undefined });
      const batches: CommittedBatch[] = [];
      const stop = writer.onCommit((batch) => batches.push(batch));
      writer.onCommit(() => {
        throw new Error("a broken listener changes nothing");
      });
      for (let i = 0; i < 5; i++) void bus.emit({ type: "step.completed", runId: `oc${i % 2}`, workflow: wf, stepId: `s${i}`, durationMs: 1, output: { password: "hunter2", blob: "x".repeat(200) } });
      const flushed = writer.flush();
      await flushed;
      // 5 events in batches of at most 4, in commit order, each event as the store holds it.
      expect(batches.map((b) => b.events.length)).toEqual([4, 1]);
      const handed = batches.flatMap((b) => b.events.map((prepared, i) => ({ cursor: b.cursors?.[i], body: prepared.body, event: prepared.event })));
      const stored = (await opened.store.findEvents("default", { limit: 100 })).items;
      expect(handed.map((h) => h.cursor)).toEqual(stored.map((s) => s.cursor));
      expect(handed.map((h) => h.event)).toEqual(stored.map((s) => s.event));
      expect(handed.map((h) => JSON.parse(h.body) as unknown)).toEqual(stored.map((s) => s.event));
      expect(JSON.stringify(handed[0]!.event)).not.toContain("hunter2");
      stop();
      void bus.emit(step("oc0", 9));
      await writer.close();
      expect(batches).toHaveLength(2);
    });

    it("onCommit: a listener that throws is reported and the writer goes on", async () => {
      const bus = createBus();
      const failures: WriterFailure[] = [];
      const writer = createStoreWriter(bus, opened.store, { onError: (f) => failures.push(f) });
      writer.onCommit(() => {
        throw new Error("listener broke");
      });
      void bus.emit(step("lt", 1));
      await writer.flush();
      void bus.emit(step("lt", 2));
      await writer.close();
      expect(failures.map((f) => [f.stage, (f.error as Error).message])).toEqual([
        ["commit-listener", "listener broke"],
        ["commit-listener", "listener broke"],
      ]);
      expect(await seqs(opened.store, "lt")).toEqual([1, 2]);
    });

    it("onAccept: hands each event as it will be stored, in seq order, before its commit; a throwing listener is reported", async () => {
      const bus = createBus();
      const failures: WriterFailure[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const slow: EventStore = Object.create(opened.store) as EventStore;
      slow.append = async (batch: AppendBatch) => {
        await held;
        return opened.store.append(batch);
      };
      const writer = createStoreWriter(bus, slow, { batchSize: 2, flushIntervalMs: 1, filter: { type: "step.*" }, onError: (f) => failures.push(f) });
      const accepted: PreparedEvent[] = [];
      const committed: PreparedEvent[] = [];
      writer.onAccept((prepared) => accepted.push(prepared));
      writer.onAccept(() => {
        throw new Error("accept listener broke");
      });
      writer.onCommit((batch) => committed.push(...batch.events));
      void bus.emit({ type: "run.started", runId: "acc", workflow: wf });
      for (let i = 1; i <= 5; i++) void bus.emit({ type: "step.completed", runId: "acc", workflow: wf, stepId: `s${i}`, durationMs: 1, output: { token: "t0ps3cret" } });
      await tick(20);
      // All five taken (the filter keeps run.started out), none committed: the store is held.
      expect(accepted.map((p) => p.event.seq)).toEqual([2, 3, 4, 5, 6]);
      expect(committed).toHaveLength(0);
      expect(accepted.every((p) => !p.body.includes("t0ps3cret") && p.body === JSON.stringify(p.event))).toBe(true);
      release();
      await writer.close();
      // What was committed is exactly what was accepted: the same prepared events.
      expect(committed).toEqual(accepted);
      expect(committed.every((p, i) => p === accepted[i])).toBe(true);
      expect(failures.filter((f) => f.stage === "accept-listener")).toHaveLength(5);
      expect(await seqs(opened.store, "acc")).toEqual([2, 3, 4, 5, 6]);
    });

    it("never sends a batch before the one ahead of it is committed, even while preparing it ahead", async () => {
      const calls: { first: number; last: number; failed: boolean }[] = [];
      const flaky: EventStore = Object.create(opened.store) as EventStore;
      flaky.append = async (batch: AppendBatch) => {
        const call = { first: batch.events[0]!.event.seq, last: batch.events.at(-1)!.event.seq, failed: false };
        calls.push(call);
        // The second batch fails twice, after a delay during which later batches are ready.
        if (call.first === 6 && calls.filter((c) => c.first === 6).length <= 2) {
          await tick(15);
          call.failed = true;
          throw new Error("commit lost");
        }
        return opened.store.append(batch);
      };
      const bus = createBus();
      const writer = createStoreWriter(bus, flaky, { batchSize: 5, flushIntervalMs: 1, retryDelayMs: 1, onError: () => undefined });
      for (let i = 0; i < 20; i++) void bus.emit(step("pa", i));
      await writer.close();
      // Every batch goes out only after the one before it succeeded: in order, retries in place.
      expect(calls.map((c) => [c.first, c.failed])).toEqual([
        [1, false],
        [6, true],
        [6, true],
        [6, false],
        [11, false],
        [16, false],
      ]);
      expect(await seqs(opened.store, "pa")).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
    });

    it("applies backpressure beyond its bound while the store is down, then drains losslessly", async () => {
      const { store, outage } = withOutage(opened.store);
      const bus = createBus();
      const writer = createStoreWriter(bus, store, { batchSize: 10, maxPending: 20, bufferSize: 5, flushIntervalMs: 1, retryDelayMs: 2, maxRetryDelayMs: 2, onError: () => undefined });
      outage.down = true;
      let emitted = 0;
      let waiting: Promise<void> | undefined;
      while (waiting === undefined) {
        waiting = bus.emit(step("bp", emitted)) ?? undefined;
        emitted++;
        if (waiting === undefined) await tick();
      }
      // The writer holds maxPending (20) and the subscription its bound (5): the 25th emit waits.
      expect(emitted).toBe(25);
      let released = false;
      void waiting.then(() => (released = true));
      await tick(30);
      expect(released).toBe(false);
      expect(writer.stats()).toMatchObject({ written: 0, pending: 25, retrying: true });
      outage.down = false;
      await waiting;
      await writer.close();
      expect(await seqs(opened.store, "bp")).toEqual(Array.from({ length: 25 }, (_, k) => k + 1));
    });
  });
}
