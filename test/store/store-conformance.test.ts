/**
 * The conformance suite: every store adapter must pass it unchanged (`RUNTRAIL_STORES` narrows).
 */
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBus, type EventBus, type EventInput, type RuntrailEvent } from "runtrail";
import { createStoreWriter, iterateRun, replayRun, type EventStore, type StoredEvent } from "../../src/store/index.js";
import { CONFORMANCE_STORES, type OpenedStore } from "./store-fixtures.js";

const wf = { name: "etl", version: "2" };

/** A bus whose clock the test sets: `clock.now` is the next `ts`. */
function clockedBus(start = 1_000): { bus: EventBus; clock: { now: number } } {
  const clock = { now: start };
  return { bus: createBus({ clock: () => clock.now }), clock };
}

async function readAll(store: EventStore, accountId: string, runId: string, pageSize = 1_000): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const item of iterateRun(store, accountId, runId, { pageSize })) all.push(item);
  return all;
}

/** The event types a run of `steps` steps emits, in order. */
function runScript(runId: string, steps: number, accountId?: string): EventInput[] {
  const base = { runId, workflow: wf, ...(accountId === undefined ? {} : { accountId }) };
  const inputs: EventInput[] = [{ type: "run.started", ...base, input: { n: steps } }];
  for (let i = 0; i < steps; i++) {
    inputs.push({ type: "step.started", ...base, stepId: `s${i}` });
    inputs.push({ type: "step.completed", ...base, stepId: `s${i}`, durationMs: i + 1, output: { i } });
  }
  inputs.push({ type: "run.completed", ...base, durationMs: steps * 10 });
  return inputs;
}

for (const factory of CONFORMANCE_STORES) {
  describe(`store conformance: ${factory.name}`, () => {
    let opened: OpenedStore;
    let store: EventStore;
    beforeEach(async () => {
      opened = await factory.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.dispose();
    });

    it("keeps interleaved concurrent runs in seq order with no loss and no duplicate", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, store, { batchSize: 64, flushIntervalMs: 5 });
      const runs = Array.from({ length: 12 }, (_, r) => runScript(`run-${r}`, 10 + r));
      // Round-robin across runs, yielding now and then so batches cut through runs at odd places.
      for (let i = 0, more = true; more; i++) {
        more = false;
        for (const script of runs) {
          const input = script[i];
          if (input === undefined) continue;
          more = true;
          await bus.emit(input);
        }
        if (i % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await writer.close();
      expect(writer.stats()).toMatchObject({ received: 396, written: 396, pending: 0, failures: 0 });
      const cursors = new Set<number>();
      for (let r = 0; r < runs.length; r++) {
        const stored = await readAll(store, "default", `run-${r}`, 17);
        const expected = runScript(`run-${r}`, 10 + r);
        expect(stored.map((s) => s.event.seq)).toEqual(expected.map((_, i) => i + 1));
        expect(stored.map((s) => s.event.type)).toEqual(expected.map((e) => e.type));
        for (let i = 1; i < stored.length; i++) expect(stored[i]!.cursor).toBeGreaterThan(stored[i - 1]!.cursor);
        for (const s of stored) cursors.add(s.cursor);
        const run = await store.getRun("default", `run-${r}`);
        expect(run).toMatchObject({ status: "completed", lastSeq: expected.length, eventCount: expected.length, stepsCompleted: 10 + r });
      }
      expect(cursors.size).toBe(396);
    });

    it("keeps one run id in two accounts as two runs (two producers, one store)", async () => {
      const busA = createBus();
      const busB = createBus();
      const writerA = createStoreWriter(busA, store, { batchSize: 4 });
      const writerB = createStoreWriter(busB, store, { batchSize: 3 });
      for (const input of runScript("order-123", 2, "acme")) await busA.emit(input);
      for (const input of runScript("order-123", 3, "globex")) await busB.emit(input);
      await writerA.close();
      await writerB.close();
      expect(writerA.stats().failures + writerB.stats().failures).toBe(0);
      expect((await readAll(store, "acme", "order-123")).map((s) => s.event.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await readAll(store, "globex", "order-123")).map((s) => s.event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await store.getRun("acme", "order-123")).toMatchObject({ accountId: "acme", eventCount: 6, stepsCompleted: 2 });
      expect(await store.getRun("globex", "order-123")).toMatchObject({ accountId: "globex", eventCount: 8, stepsCompleted: 3 });
      expect((await store.listSteps("globex", "order-123")).map((step) => step.stepId)).toEqual(["s0", "s1", "s2"]);
      expect((await store.stepDurations("acme")).map((d) => [d.stepId, d.count])).toEqual([
        ["s1", 1],
        ["s0", 1],
      ]);
      expect(await store.lastSeq("globex", "order-123")).toBe(8);
      // Retention for one account leaves the other's run of the same id alone.
      expect(await store.deleteRunsBefore("acme", Number.MAX_SAFE_INTEGER)).toEqual({ runs: 1, events: 6 });
      expect((await readAll(store, "globex", "order-123")).length).toBe(8);
      expect((await store.listSteps("globex", "order-123")).length).toBe(3);
    });

    it("stores text exactly: tabs, newlines, backslashes, quotes and non-ASCII in ids and payloads", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, store, { durability: "sync" });
      const awkward = 'tab\there\nnew line\r\\back\\slash "quoted" \\N ünïcødé 🚀 literal \\u0000';
      // U+0000 is stored as U+FFFD in every store (PostgreSQL's jsonb cannot hold it); all else exactly.
      const nul = `${awkward} nul \u0000 \\\u0000`;
      const nulStored = `${awkward} nul \ufffd \\\ufffd`;
      const runId = "run\twith\\odd\nid";
      await writer.bus.emit({ type: "run.started", runId, workflow: { name: "w\\f" }, accountId: "acme\\t", input: { awkward } });
      await writer.bus.emit({ type: "step.completed", runId, workflow: { name: "w\\f" }, accountId: "acme\\t", stepId: "s\t1", durationMs: 1, output: [awkward] });
      await writer.bus.emit({ type: "x.note", runId, workflow: { name: "w\\f" }, accountId: "acme\\t", data: { [awkward]: awkward, nul } });
      await writer.close();
      const stored = await readAll(store, "acme\\t", runId);
      expect(stored.map((s) => s.event)).toEqual([
        expect.objectContaining({ runId, accountId: "acme\\t", input: { awkward } }),
        expect.objectContaining({ stepId: "s\t1", output: [awkward] }),
        expect.objectContaining({ type: "x.note", data: { [awkward]: awkward, nul: nulStored } }),
      ]);
      expect((await store.findEvents("acme\\t", { stepId: "s\t1" })).items.map((s) => s.event.seq)).toEqual([2]);
      expect((await store.listSteps("acme\\t", runId)).map((step) => step.stepId)).toEqual(["s\t1"]);
    });

    it("pages a run by seq and events by cursor, with exact page boundaries", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, store);
      for (const input of runScript("p", 14)) void bus.emit(input); // 30 events
      await writer.flush();
      const sizes: number[] = [];
      const nexts: (number | undefined)[] = [];
      let after = 0;
      for (;;) {
        const page = await store.readRun("default", "p", { after, limit: 7 });
        sizes.push(page.items.length);
        nexts.push(page.next);
        if (page.next === undefined) break;
        after = page.next;
      }
      expect(sizes).toEqual([7, 7, 7, 7, 2]);
      expect(nexts).toEqual([7, 14, 21, 28, undefined]);
      const exact = await store.readRun("default", "p", { after: 20, limit: 10 });
      expect(exact.items.map((s) => s.event.seq)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
      expect(exact.next).toBeUndefined();

      const completed: number[] = [];
      let afterCursor: number | undefined;
      for (;;) {
        const page = await store.findEvents("default", { type: "step.completed", limit: 4, ...(afterCursor === undefined ? {} : { afterCursor }) });
        completed.push(...page.items.map((s) => s.event.seq));
        if (page.next === undefined) break;
        afterCursor = page.next;
      }
      expect(completed).toEqual(Array.from({ length: 14 }, (_, i) => 3 + 2 * i));
      const byStep = await store.findEvents("default", { stepId: "s3" });
      expect(byStep.items.map((s) => s.event.type)).toEqual(["step.started", "step.completed"]);
      const multi = await store.findEvents("default", { type: ["run.started", "run.completed"] });
      expect(multi.items.map((s) => s.event.seq)).toEqual([1, 30]);
      await writer.close();
    });

    it("filters events by time range and lists runs by status, workflow and time with page tokens", async () => {
      const { bus, clock } = clockedBus();
      const writer = createStoreWriter(bus, store);
      for (let r = 0; r < 7; r++) {
        clock.now = 10_000 + r * 1_000;
        const base = { runId: `t${r}`, workflow: { name: r % 2 === 0 ? "even" : "odd" } };
        void bus.emit({ type: "run.started", ...base });
        clock.now += 10;
        if (r < 5) void bus.emit({ type: "run.completed", ...base, durationMs: 10 });
      }
      await writer.flush();
      const window = await store.findEvents("default", { from: 12_000, to: 14_000 });
      expect(window.items.map((s) => s.event.id)).toEqual(["t2:1", "t2:2", "t3:1", "t3:2"]);

      const ids: string[] = [];
      const tokens: (string | undefined)[] = [];
      let pageToken: string | undefined;
      do {
        const page = await store.listRuns("default", { limit: 3, ...(pageToken === undefined ? {} : { pageToken }) });
        ids.push(...page.items.map((run) => run.runId));
        tokens.push(page.next);
        pageToken = page.next;
      } while (pageToken !== undefined);
      expect(ids).toEqual(["t6", "t5", "t4", "t3", "t2", "t1", "t0"]);
      expect(tokens.map((t) => typeof t)).toEqual(["string", "string", "undefined"]);

      expect((await store.listRuns("default", { status: "running" })).items.map((r) => r.runId)).toEqual(["t6", "t5"]);
      expect((await store.listRuns("default", { workflow: "odd" })).items.map((r) => r.runId)).toEqual(["t5", "t3", "t1"]);
      expect((await store.listRuns("default", { from: 11_000, to: 13_000 })).items.map((r) => r.runId)).toEqual(["t2", "t1"]);
      expect(
        (await store.listRuns("default", { status: ["completed"], workflow: "even", limit: 1 })).items.map((r) => r.runId),
      ).toEqual(["t4"]);
      await expect(store.listRuns("default", { pageToken: "not-a-token" })).rejects.toThrow(/invalid page token/);
      await writer.close();
    });

    it("projects runs and steps: status, counts, attempts, durations, progress, error", async () => {
      const { bus, clock } = clockedBus(5_000);
      const writer = createStoreWriter(bus, store, { batchSize: 3 });
      const base = { runId: "pr", workflow: wf };
      const error = { name: "Boom", message: "disk full", retryable: true };
      const script: EventInput[] = [
        { type: "run.started", ...base },
        { type: "step.started", ...base, stepId: "fetch", attempt: 1 },
        { type: "step.failed", ...base, stepId: "fetch", attempt: 1, error, durationMs: 40 },
        { type: "step.retrying", ...base, stepId: "fetch", attempt: 1, error, delayMs: 5, nextAttempt: 2 },
        { type: "step.started", ...base, stepId: "fetch", attempt: 2 },
        { type: "step.completed", ...base, stepId: "fetch", attempt: 2, durationMs: 60, issues: ["slow", "partial"] },
        { type: "progress.updated", ...base, progress: { completed: 1, failed: 0, skipped: 0, total: 3, percent: 33.3 } },
        { type: "step.skipped", ...base, stepId: "notify", reason: "disabled" },
        { type: "step.started", ...base, stepId: "load", path: [0] },
        { type: "step.failed", ...base, stepId: "load", path: [0], error, durationMs: 7 },
        { type: "run.failed", ...base, error, durationMs: 200 },
      ];
      for (const input of script) {
        clock.now += 10;
        void bus.emit(input);
      }
      await writer.close();
      const run = await store.getRun("default", "pr");
      expect(run).toEqual({
        runId: "pr",
        accountId: "default",
        workflow: wf,
        status: "failed",
        startedAt: 5_010,
        lastEventAt: 5_110,
        endedAt: 5_110,
        durationMs: 200,
        lastSeq: 11,
        eventCount: 11,
        progress: { completed: 1, failed: 0, skipped: 0, total: 3, percent: 33.3 },
        error,
        stepsCompleted: 1,
        stepsFailed: 2,
        stepsSkipped: 1,
        retries: 1,
        issueCount: 2,
      });
      const steps = await store.listSteps("default", "pr");
      expect(steps).toEqual([
        { runId: "pr", stepId: "fetch", path: [], status: "completed", attempts: 2, startedAt: 5_020, endedAt: 5_060, durationMs: 60, totalDurationMs: 100, failures: 1, error },
        { runId: "pr", stepId: "notify", path: [], status: "skipped", attempts: 1, endedAt: 5_080, totalDurationMs: 0, failures: 0 },
        { runId: "pr", stepId: "load", path: [0], status: "failed", attempts: 1, startedAt: 5_090, endedAt: 5_100, durationMs: 7, totalDurationMs: 7, failures: 1, error },
      ]);
      expect((await store.listRuns("default", { withIssues: true })).items.map((r) => r.runId)).toEqual(["pr"]);
    });

    it("answers analytics: average and nearest-rank p95 duration by step, failures by step", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, store);
      // Step "a" completes in 1..20 ms across 20 runs; "b" in 100 ms; "c" fails in runs 0..2.
      for (let r = 0; r < 20; r++) {
        const base = { runId: `an${r}`, workflow: { name: r < 10 ? "first" : "second" } };
        void bus.emit({ type: "run.started", ...base });
        void bus.emit({ type: "step.completed", ...base, stepId: "a", durationMs: r + 1 });
        void bus.emit({ type: "step.completed", ...base, stepId: "b", durationMs: 100 });
        if (r < 3) {
          void bus.emit({ type: "step.failed", ...base, stepId: "c", durationMs: 1, error: { name: "E", message: "x" } });
          void bus.emit({ type: "step.failed", ...base, stepId: "c", attempt: 2, durationMs: 1, error: { name: "E", message: "x" } });
        }
      }
      await writer.close();
      expect(await store.stepDurations("default")).toEqual([
        { stepId: "b", count: 20, avgMs: 100, p95Ms: 100 },
        { stepId: "a", count: 20, avgMs: 10.5, p95Ms: 19 },
      ]);
      expect(await store.stepDurations("default", { workflow: "first" })).toEqual([
        { stepId: "b", count: 10, avgMs: 100, p95Ms: 100 },
        { stepId: "a", count: 10, avgMs: 5.5, p95Ms: 10 },
      ]);
      expect(await store.stepFailures("default")).toEqual([{ stepId: "c", failures: 6, runsFailed: 3 }]);
      expect(await store.stepFailures("default", { workflow: "second" })).toEqual([]);
    });

    it("scopes every query by account: an account never sees another's runs", async () => {
      const { bus, clock } = clockedBus();
      const writer = createStoreWriter(bus, store);
      for (const input of runScript("secret-run", 2, "acme")) void bus.emit(input);
      void bus.emit({ type: "step.failed", runId: "acme-fail", accountId: "acme", workflow: wf, stepId: "s0", durationMs: 1, error: { name: "E", message: "m" } });
      clock.now = 2_000;
      for (const input of runScript("globex-run", 1, "globex")) void bus.emit(input);
      await writer.close();

      expect((await store.readRun("globex", "secret-run")).items).toEqual([]);
      expect((await store.findEvents("globex", { runId: "secret-run" })).items).toEqual([]);
      expect((await store.findEvents("globex")).items.map((s) => s.event.runId)).toEqual(Array(4).fill("globex-run"));
      expect(await store.getRun("globex", "secret-run")).toBeUndefined();
      expect((await store.listRuns("globex")).items.map((r) => r.runId)).toEqual(["globex-run"]);
      expect(await store.listSteps("globex", "secret-run")).toEqual([]);
      expect((await store.stepDurations("globex")).map((s) => [s.stepId, s.count])).toEqual([["s0", 1]]);
      expect(await store.stepFailures("globex")).toEqual([]);
      expect(await store.lastSeq("globex", "secret-run")).toBe(0);
      expect(await store.lastSeq("acme", "secret-run")).toBe(6);
      expect(await store.deleteRunsBefore("globex", Infinity)).toEqual({ runs: 1, events: 4 });
      expect((await store.readRun("acme", "secret-run")).items).toHaveLength(6);
      expect((await store.listRuns("acme")).items.map((r) => r.runId).sort()).toEqual(["acme-fail", "secret-run"]);
    });

    it("redacts secrets at any depth before storage, leaving the live event untouched", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, store);
      const live: RuntrailEvent[] = [];
      bus.onEvent((e) => live.push(e));
      const input = {
        user: "ada",
        password: "hunter2",
        nested: { Authorization: "Bearer abc", list: [{ apiToken: "t1", keep: 1 }], totalTokens: 12 },
        client_secret: "s",
      };
      void bus.emit({ type: "run.started", runId: "red", workflow: wf, input });
      await writer.close();
      const [stored] = (await store.readRun("default", "red")).items;
      expect(stored?.event).toMatchObject({
        input: {
          user: "ada",
          password: "[REDACTED]",
          nested: { Authorization: "[REDACTED]", list: [{ apiToken: "[REDACTED]", keep: 1 }], totalTokens: 12 },
          client_secret: "[REDACTED]",
        },
      });
      expect(live[0]).toMatchObject({ input: { password: "hunter2", nested: { Authorization: "Bearer abc" } } });
    });

    it("stores oversized fields truncated, with their size and sha256, and still valid", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, store, { maxFieldBytes: 1_024 });
      const big = { rows: Array.from({ length: 200 }, (_, i) => ({ i, text: "x".repeat(20) })) };
      const bigJson = JSON.stringify(big);
      const stack = "at frame\n".repeat(500);
      void bus.emit({ type: "step.completed", runId: "tr", workflow: wf, stepId: "s", durationMs: 1, output: big });
      void bus.emit({ type: "step.failed", runId: "tr", workflow: wf, stepId: "s", durationMs: 1, error: { name: "E", message: "short", stack } });
      void bus.emit({ type: "step.completed", runId: "tr", workflow: wf, stepId: "t", durationMs: 1, output: { small: true } });
      await writer.close();
      const [first, second, third] = (await store.readRun("default", "tr")).items;
      const sha = (text: string): string => createHash("sha256").update(text).digest("hex");
      expect(first?.truncated).toEqual([{ path: "/output", size: Buffer.byteLength(bigJson), sha256: sha(bigJson) }]);
      expect(first?.event).toMatchObject({ output: { $truncated: true, size: Buffer.byteLength(bigJson), sha256: sha(bigJson), preview: bigJson.slice(0, 256) } });
      expect(second?.truncated).toEqual([{ path: "/error/stack", size: Buffer.byteLength(JSON.stringify(stack)), sha256: sha(JSON.stringify(stack)) }]);
      const error = second?.event.type === "step.failed" ? second.event.error : undefined;
      expect(error?.message).toBe("short");
      expect(error?.stack).toBe(stack.slice(0, 1_024));
      expect(third?.truncated).toBeUndefined();
      expect(third?.event).toMatchObject({ output: { small: true } });
    });

    it("deletes runs older than a bound, per account, with their events and steps", async () => {
      const { bus, clock } = clockedBus();
      const writer = createStoreWriter(bus, store);
      clock.now = 1_000;
      for (const input of runScript("old-a", 1, "a")) void bus.emit(input);
      for (const input of runScript("old-b", 1, "b")) void bus.emit(input);
      clock.now = 5_000;
      for (const input of runScript("new-a", 2, "a")) void bus.emit(input);
      // A run that started long ago but is still active is kept: retention keys on last activity.
      clock.now = 1_000;
      void bus.emit({ type: "run.started", runId: "long-a", accountId: "a", workflow: wf });
      clock.now = 6_000;
      void bus.emit({ type: "step.started", runId: "long-a", accountId: "a", workflow: wf, stepId: "x" });
      await writer.close();
      expect(await store.deleteRunsBefore("a", 3_000)).toEqual({ runs: 1, events: 4 });
      expect(await store.getRun("a", "old-a")).toBeUndefined();
      expect((await store.readRun("a", "old-a")).items).toEqual([]);
      expect(await store.listSteps("a", "old-a")).toEqual([]);
      expect((await store.listRuns("a")).items.map((r) => r.runId).sort()).toEqual(["long-a", "new-a"]);
      expect((await store.readRun("b", "old-b")).items).toHaveLength(4);
      expect(await store.deleteRunsBefore("a", 3_000)).toEqual({ runs: 0, events: 0 });
    });

    it("replays a stored run onto a bus: same events, same order, same seqs", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, store);
      for (const input of runScript("orig", 5)) void bus.emit(input);
      await writer.close();
      const target = createBus();
      const replayed: RuntrailEvent[] = [];
      target.onEvent((e) => replayed.push(e));
      expect(await replayRun(store, "default", "orig", target, { speed: 1_000 })).toBe(12);
      const stored = (await readAll(store, "default", "orig")).map((s) => s.event);
      const strip = ({ ts: _ts, ...rest }: RuntrailEvent): Omit<RuntrailEvent, "ts"> => rest;
      expect(replayed.map(strip)).toEqual(stored.map(strip));
      const renamed: string[] = [];
      const other = createBus();
      other.onEvent((e) => renamed.push(e.id));
      await replayRun(store, "default", "orig", other, { asRunId: "copy" });
      expect(renamed).toEqual(Array.from({ length: 12 }, (_, i) => `copy:${i + 1}`));
      expect(await replayRun(store, "other-account", "orig", createBus())).toBe(0);
    });

    it("is visible to a second connection and resumes a run's seq after a restart", async () => {
      const bus = createBus();
      const writer = createStoreWriter(bus, store);
      for (const input of runScript("rs", 1)) if (input.type !== "run.completed") void bus.emit(input);
      await writer.close();
      const again = await opened.reopen();
      const last = await again.lastSeq("default", "rs");
      expect(last).toBe(3);
      const bus2 = createBus();
      bus2.resumeRun("rs", last);
      const writer2 = createStoreWriter(bus2, again);
      void bus2.emit({ type: "run.completed", runId: "rs", workflow: wf, durationMs: 3 });
      await writer2.close();
      expect((await readAll(again, "default", "rs")).map((s) => s.event.seq)).toEqual([1, 2, 3, 4]);
      expect(await again.getRun("default", "rs")).toMatchObject({ status: "completed", eventCount: 4, lastSeq: 4 });
    });
  });
}
