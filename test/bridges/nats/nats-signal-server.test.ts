/**
 * A server with no writer but a NATS signal dispatcher (what `serve --nats` builds), against the
 * real NATS server and a SQLite store: a signal for the wait of a sub-workflow run is checked
 * against the schema in that run's row, queued for the workers of the workflow at the top of its
 * tree, and a worker given the store resumes the parent (the child with it) and finishes both.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createBus, workflow, type RuntrailEvent } from "runtrail";
import { dispatchNatsSignal, ensureNatsRunQueue, startNatsWorker } from "runtrail/nats";
import { createServer } from "../../../src/server/index.js";
import { createStoreWriter, type EventStore } from "../../../src/store/index.js";
import { openSqliteStore } from "../../../src/store/sqlite/index.js";
import { sleep } from "./nats-fixtures.js";
import { natsTestScope } from "./nats-scope.js";

const { cleanups, setup } = natsTestScope();

const review = workflow<number>("sig-review", { version: "1" })
  .step("check", (ctx) => ctx.input + 1)
  .step("approve", async (ctx) => {
    const answer = await ctx.waitFor<{ ok: boolean }>("approve", { schema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] } });
    return { ok: answer.ok, checked: ctx.steps.check };
  }, { needs: ["check"] })
  .build();
const purchase = workflow<number>("sig-purchase", { version: "1" })
  .step("draft", (ctx) => ctx.input * 10)
  .subworkflow("review", review, { needs: ["draft"], input: (s) => s.steps.draft })
  .step("pay", (ctx) => ({ paid: ctx.steps.review.ok, checked: ctx.steps.review.checked }), { needs: ["review"] })
  .build();

async function trail(store: EventStore, runId: string): Promise<RuntrailEvent[]> {
  return (await store.readRun("default", runId, { limit: 1_000 })).items.map((item) => item.event);
}

describe("a server with no writer queues signals on the NATS run queue", { timeout: 30_000 }, () => {
  it("a sub-workflow run's signal: checked against its row's schema, queued for the top run's workflow, resumed by a worker from the trails", async () => {
    const { nc } = await setup();
    const id = Math.random().toString(36).slice(2, 10);
    const queue = { stream: `RT_SIGSRV_${id}`, prefix: `rt_sigsrv_${id}.start`, storage: "memory" as const };
    const jsm = await jetstreamManager(nc);
    cleanups.push(() => jsm.streams.delete(queue.stream).catch(() => false));
    await ensureNatsRunQueue(nc, queue);
    const messages = async (): Promise<number> => (await jsm.streams.info(queue.stream)).state.messages;

    const dir = mkdtempSync(join(tmpdir(), "runtrail-nats-sigsrv-"));
    const store = await openSqliteStore({ path: join(dir, "runtrail.db") });
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    // The process that started the run stores both trails up to the child's wait, then leaves.
    const first = createBus();
    const firstWriter = createStoreWriter(first, store);
    let childId = "";
    let suspended = 0;
    const both = new Promise<void>((resolve) =>
      first.onEvent((event) => {
        if (event.type === "run.started" && event.parentRunId !== undefined) childId = event.runId;
        if (event.type === "run.suspended" && ++suspended === 2) resolve();
      }),
    );
    const parentId = purchase.start(4, { bus: first }).runId;
    await both;
    await firstWriter.close();
    expect((await store.getRun("default", childId))?.suspension).toMatchObject({ waitingFor: "approve" });

    const server = await createServer({
      store,
      onNotice: () => undefined,
      dispatchSignal: ({ dedupKey, ...request }) => dispatchNatsSignal(nc, request, { prefix: queue.prefix, msgId: dedupKey }),
    });
    cleanups.push(() => server.close());
    const url = await server.listen({ host: "127.0.0.1", port: 0 });
    const post = async (runId: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(`${url}/api/runs/${runId}/signals/approve`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    const bad = await post(childId, { ok: "yes" });
    expect(bad).toMatchObject({ status: 400, body: { error: "bad_request", field: "body.ok" } });
    expect(bad.body.message).toMatch(/signal "approve": payload field \/ok/);
    expect(await messages()).toBe(0);

    expect(await post(childId, { ok: true })).toEqual({ status: 202, body: { runId: childId, signal: "approve", queued: true } });
    const queued = await jsm.streams.getMessage(queue.stream, { last_by_subj: `${queue.prefix}.sig-purchase` });
    expect(queued?.json()).toEqual({ runId: parentId, workflow: "sig-purchase", accountId: "default", signal: { name: "approve", payload: { ok: true }, by: "api" } });

    const bus = createBus();
    const writer = createStoreWriter(bus, store);
    cleanups.push(() => writer.close());
    const ended = new Map<string, unknown>();
    const signalled: string[] = [];
    const worker = await startNatsWorker(nc, bus, [purchase], { ...queue, trails: store, onRunEnded: (runId, error) => ended.set(runId, error), onSignal: (runId) => signalled.push(runId), onReject: (reason) => signalled.push(`refused: ${reason}`) });
    cleanups.push(() => worker.close());
    for (let i = 0; i < 200 && !ended.has(parentId); i++) await sleep(25);
    expect(signalled).toEqual([parentId]);
    expect(ended.get(parentId)).toBeUndefined();
    await writer.flush();
    for (const runId of [parentId, childId]) {
      const events = await trail(store, runId);
      expect(events.map((e) => e.seq), runId).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => e.type === "run.started"), runId).toHaveLength(1);
      expect(events.at(-1)?.type, runId).toBe("run.completed");
    }
    expect((await trail(store, parentId)).at(-1)).toMatchObject({ output: { paid: true, checked: 41 } });
    expect(await messages()).toBe(0);
  });
});
