/**
 * Signal requests on the run queue, against the real NATS server and a SQLite store: a worker
 * that holds the waiting run delivers the signal in memory; one that does not resumes the run
 * from its stored trail; a request that cannot be served (no trails to read, an unknown run, another
 * version) is refused with a reason naming the run and removed from the queue, never offered again.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createBus, resumeRun, workflow, type EventBus } from "runtrail";
import { dispatchNatsRun, dispatchNatsSignal, startNatsWorker, type NatsWorkerOptions } from "runtrail/nats";
import { createStoreWriter, type EventStore } from "../../../src/store/index.js";
import { openSqliteStore } from "../../../src/store/sqlite/index.js";
import { sleep } from "./nats-fixtures.js";
import { natsTestScope } from "./nats-scope.js";

const { cleanups, setup } = natsTestScope();

const approvals = (version: string) =>
  workflow<{ amount: number }>("sig-approvals", { version })
    .step("draft", (ctx) => ctx.input.amount)
    .step("approval", (ctx) => ctx.waitFor("approval", { schema: { type: "object", properties: { approved: { type: "boolean" } }, required: ["approved"] } }), { needs: ["draft"] })
    .step("pay", (ctx) => ({ amount: ctx.steps.draft, answer: ctx.steps.approval }), { needs: ["approval"] })
    .build();

/** A queue of the test's own, removed after it. */
async function queueOf(nc: NatsConnection): Promise<{ stream: string; prefix: string; messages(): Promise<number> }> {
  const id = Math.random().toString(36).slice(2, 10);
  const queue = { stream: `RT_SIG_${id}`, prefix: `rt_sig_${id}.start`, storage: "memory" as const };
  const jsm = await jetstreamManager(nc);
  cleanups.push(() => jsm.streams.delete(queue.stream).catch(() => false));
  return { ...queue, messages: async () => (await jsm.streams.info(queue.stream)).state.messages };
}

/** A SQLite store of the test's own. */
async function storeOf(): Promise<EventStore> {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-nats-signal-"));
  const store = await openSqliteStore({ path: join(dir, "runtrail.db") });
  cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

const suspendedOn = (bus: EventBus, runId: string): Promise<void> =>
  new Promise((resolve) => {
    const stop = bus.onEvent((event) => {
      if (event.runId === runId && event.type === "run.suspended") {
        stop();
        resolve();
      }
    });
  });

/** Starts a run on its own bus, stores its trail up to its wait, and leaves it there (as a process that exited would). */
async function storedWaiting(store: EventStore, version = "1"): Promise<string> {
  const bus = createBus();
  const writer = createStoreWriter(bus, store);
  const runId = globalThis.crypto.randomUUID();
  const waiting = suspendedOn(bus, runId);
  approvals(version).start({ amount: 7 }, { runId, bus });
  await waiting;
  await writer.close();
  return runId;
}

async function workerWith(nc: NatsConnection, bus: EventBus, queue: { stream: string; prefix: string }, options: NatsWorkerOptions & { version?: string } = {}) {
  const refused: string[] = [];
  const signalled: [string, boolean][] = [];
  const ended = new Map<string, unknown>();
  const worker = await startNatsWorker(nc, bus, [approvals(options.version ?? "1")], {
    ...queue,
    onReject: (reason) => refused.push(reason),
    onSignal: (runId, _name, resumed) => signalled.push([runId, resumed]),
    onRunEnded: (runId, error) => ended.set(runId, error),
    ...options,
  });
  cleanups.push(() => worker.close());
  return { worker, refused, signalled, ended };
}

async function until(what: string, check: () => boolean | Promise<boolean>, detail?: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}${detail === undefined ? "" : `: ${detail()}`}`);
}

describe("signal requests on the NATS run queue", { timeout: 30_000 }, () => {
  it("the worker that holds the waiting run delivers the signal in memory; the run no longer counts as running while it waits", async () => {
    const { nc } = await setup();
    const queue = await queueOf(nc);
    const bus = createBus();
    const { worker, signalled, ended, refused } = await workerWith(nc, bus, queue);
    const runId = globalThis.crypto.randomUUID();
    const waiting = suspendedOn(bus, runId);
    await dispatchNatsRun(nc, "sig-approvals", { amount: 3 }, { ...queue, runId });
    await waiting;
    expect([worker.running, worker.waiting]).toEqual([0, 1]);

    await dispatchNatsSignal(nc, { runId, workflow: "sig-approvals", accountId: "default", signal: { name: "approval", payload: { approved: true }, by: "alice" } }, queue);
    await until("the run to end", () => ended.has(runId));
    expect(ended.get(runId)).toBeUndefined();
    expect(signalled).toEqual([[runId, false]]);
    expect(refused).toEqual([]);
    expect(worker.waiting).toBe(0);
    expect(await queue.messages()).toBe(0);
  });

  it("a worker given the store resumes a run no worker holds from its trail; the seq goes on with no gap", async () => {
    const { nc } = await setup();
    const queue = await queueOf(nc);
    const store = await storeOf();
    const runId = await storedWaiting(store);
    const bus = createBus();
    const writer = createStoreWriter(bus, store);
    cleanups.push(() => writer.close());
    const { signalled, ended, refused } = await workerWith(nc, bus, queue, { trails: store });

    // Sent twice with one message id (a retried dispatch): delivered once.
    const request = { runId, workflow: "sig-approvals", accountId: "default", signal: { name: "approval", payload: { approved: true }, by: "bob" } };
    await dispatchNatsSignal(nc, request, { ...queue, msgId: `${runId}.approval.4` });
    await dispatchNatsSignal(nc, request, { ...queue, msgId: `${runId}.approval.4` });
    await until("the run to end", () => ended.has(runId));
    expect(ended.get(runId)).toBeUndefined();
    expect(signalled).toEqual([[runId, true]]);
    expect(refused).toEqual([]);
    await writer.flush();
    const { items } = await store.readRun("default", runId, { limit: 1_000 });
    const events = items.map((item) => item.event);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "signal.received")).toEqual([expect.objectContaining({ payload: { approved: true }, by: "bob" })]);
    expect(events.at(-1)).toMatchObject({ type: "run.completed", output: { amount: 7, answer: { approved: true } } });
    expect(await queue.messages()).toBe(0);
  });

  it("a worker whose copy of the run is behind the stored trail (another process went on) does not signal it: it drops the copy, and another worker gets the request", async () => {
    const { nc } = await setup();
    const queue = await queueOf(nc);
    const store = await storeOf();
    const busA = createBus();
    const writerA = createStoreWriter(busA, store);
    cleanups.push(() => writerA.close());
    const a = await workerWith(nc, busA, queue, { trails: store });
    const runId = globalThis.crypto.randomUUID();
    const waiting = suspendedOn(busA, runId);
    await dispatchNatsRun(nc, "sig-approvals", { amount: 9 }, { ...queue, runId });
    await waiting;
    await writerA.flush();

    // Another process resumes the run from the store and finishes it, while worker A still holds its copy.
    const busC = createBus();
    const writerC = createStoreWriter(busC, store);
    const elsewhere = await resumeRun(store, runId, approvals("1"), { bus: busC });
    await elsewhere.signal("approval", { approved: false }, { by: "elsewhere" });
    await elsewhere.result;
    await writerC.close();

    await dispatchNatsSignal(nc, { runId, workflow: "sig-approvals", accountId: "default", signal: { name: "approval", payload: { approved: true }, by: "dave" } }, queue);
    await until("A to find its copy stale", () => a.refused.length > 0, () => JSON.stringify(a.refused));
    expect(a.refused[0]).toMatch(new RegExp(`run ${runId} went on in another process after seq \\d+ of this worker's copy`));
    expect(a.signalled).toEqual([]);
    expect([a.worker.running, a.worker.waiting]).toEqual([0, 0]);
    await a.worker.close();
    expect(await queue.messages()).toBe(1);

    // Another worker takes the request: the run has ended, so it is refused for good.
    const b = await workerWith(nc, createBus(), queue, { trails: store });
    await until("B's refusal", () => b.refused.length === 1, () => JSON.stringify(b.refused));
    expect(b.refused[0]).toMatch(new RegExp(`run ${runId}: `));
    expect(await queue.messages()).toBe(0);
    const events = (await store.readRun("default", runId, { limit: 1_000 })).items.map((item) => item.event);
    expect(events.filter((e) => e.type === "signal.received")).toEqual([expect.objectContaining({ by: "elsewhere" })]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it("a request it cannot serve is refused with a reason naming the run and removed from the queue: no trails, another version, a bad payload, an unknown run", async () => {
    const { nc } = await setup();
    const queue = await queueOf(nc);
    const store = await storeOf();
    const waitingRun = await storedWaiting(store);
    const bus = createBus();
    const signal = { name: "approval", payload: { approved: true }, by: "carol" };

    const blind = await workerWith(nc, bus, queue);
    await dispatchNatsSignal(nc, { runId: waitingRun, workflow: "sig-approvals", accountId: "default", signal }, queue);
    await until("the refusal", () => blind.refused.length === 1);
    expect(blind.refused[0]).toMatch(new RegExp(`run ${waitingRun} is not held by this worker, and it reads no stored trails \\(start it with --db or --postgres\\)`));
    await blind.worker.close();

    const newer = await workerWith(nc, createBus(), queue, { trails: store, version: "2" });
    await dispatchNatsSignal(nc, { runId: waitingRun, workflow: "sig-approvals", accountId: "default", signal }, queue);
    await until("the refusal", () => newer.refused.length === 1);
    expect(newer.refused[0]).toMatch(/version "1", and this process has version "2"/);
    await newer.worker.close();

    const reader = await workerWith(nc, createBus(), queue, { trails: store });
    await dispatchNatsSignal(nc, { runId: waitingRun, workflow: "sig-approvals", accountId: "default", signal: { ...signal, payload: { nope: 1 } } }, queue);
    await dispatchNatsSignal(nc, { runId: "no-such-run", workflow: "sig-approvals", accountId: "default", signal }, queue);
    await until("both refusals", () => reader.refused.length === 2, () => JSON.stringify({ refused: reader.refused, signalled: reader.signalled }));
    expect(reader.refused[0]).toMatch(new RegExp(`run ${waitingRun} resumed from its trail, but: signal "approval": payload field`));
    expect(reader.refused[1]).toMatch(/run no-such-run: .*no run "no-such-run" in account "default"/);
    // The run refused the bad payload after its resume: it is held here again, still waiting, and holds no slot.
    expect([reader.worker.running, reader.worker.waiting]).toEqual([0, 1]);
    // Refused for good: nothing is left to be offered again.
    await sleep(200);
    expect(reader.refused).toHaveLength(2);
    expect(await queue.messages()).toBe(0);
  });
});
