/**
 * The run view's reads on both stores: `GET /api/runs/:runId/overview` (the run, its graph and
 * its steps as a column table that decodes to exactly the store's rows, in a fraction of their
 * JSON) and `GET /api/runs/:runId/steps/:stepId` (one step row and only its own events, paged).
 * Both answer 404 to another account's token, also when that account has a run of the same id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBus, type EventInput } from "runtrail";
import { createMemoryTokenStore, createServer } from "../../src/server/index.js";
import { createStoreWriter, type StepRecord } from "../../src/store/index.js";
import { fromStepTable } from "../../dashboard/src/api/step-table.js";
import type { RunOverviewBody, StepDetail } from "../../dashboard/src/api/api-types.js";
import { STORES, type OpenedStore } from "../store/store-fixtures.js";
import { call, emitCommitted, type Harness } from "./server-fixtures.js";

const wf = { name: "bulk", version: "2" };
const graph = {
  steps: [
    { id: "load", kind: "step" as const },
    { id: "rows", kind: "foreach" as const, needs: ["load"] },
    { id: "item", kind: "step" as const, in: ["rows"] },
    { id: "check", kind: "step" as const, needs: ["item"], in: ["rows"] },
  ],
};
const ITERATIONS = 60;
const error = { name: "TypeError", message: "row 7 is malformed", code: "E_ROW" };

/** A run with a retried top-level step, a loop of `item` and `check` (one check fails), a tool call. */
function runWithLoop(runId: string, accountId: string): EventInput[] {
  const base = { runId, accountId, workflow: wf };
  const events: EventInput[] = [
    { ...base, type: "run.started", totalSteps: 2, graph },
    { ...base, type: "step.started", stepId: "load", attempt: 1, input: { source: "s3://rows" } },
    { ...base, type: "step.failed", stepId: "load", attempt: 1, durationMs: 3, error },
    { ...base, type: "step.retrying", stepId: "load", attempt: 1, delayMs: 0, nextAttempt: 2, error },
    { ...base, type: "step.started", stepId: "load", attempt: 2 },
    { ...base, type: "tool.called", stepId: "load", tool: { name: "s3.get", callId: "c1" }, arguments: { key: "rows" } },
    { ...base, type: "tool.completed", stepId: "load", tool: { name: "s3.get", callId: "c1" }, durationMs: 2, result: { bytes: 10 } },
    { ...base, type: "step.completed", stepId: "load", attempt: 2, durationMs: 4, output: { rows: ITERATIONS } },
    { ...base, type: "step.started", stepId: "rows" },
  ];
  for (let i = 0; i < ITERATIONS; i++) {
    events.push({ ...base, type: "step.started", stepId: "item", path: [i], input: { row: i } });
    events.push({ ...base, type: "step.completed", stepId: "item", path: [i], durationMs: 1, output: { row: i, doubled: i * 2 } });
    events.push({ ...base, type: "step.started", stepId: "check", path: [i] });
    if (i === 7) events.push({ ...base, type: "step.failed", stepId: "check", path: [i], durationMs: 1, error });
    else events.push({ ...base, type: "step.completed", stepId: "check", path: [i], durationMs: 1, output: true });
  }
  events.push({ ...base, type: "step.completed", stepId: "rows", durationMs: ITERATIONS });
  events.push({ ...base, type: "run.failed", durationMs: ITERATIONS, error });
  return events;
}

const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

describe.each(STORES)("the run view's reads on $name", (factory) => {
  let opened: OpenedStore;
  let h: Harness;
  beforeAll(async () => {
    opened = await factory.open();
    const store = opened.store;
    const bus = createBus();
    const writer = createStoreWriter(bus, store, { flushIntervalMs: 5 });
    const tokenStore = createMemoryTokenStore();
    const tokens = {
      acme: (await tokenStore.create({ accountId: "acme" })).token,
      acmeReadOnly: (await tokenStore.create({ accountId: "acme", readOnly: true })).token,
      globex: (await tokenStore.create({ accountId: "globex" })).token,
    };
    const server = await createServer({ store, bus, writer, auth: { tokens: tokenStore }, live: { heartbeatMs: 60_000 }, onNotice: () => undefined });
    const url = await server.listen({ host: "127.0.0.1", port: 0 });
    h = {
      server, url, bus, store, writer, tokens,
      async close() {
        await server.close();
        await writer.close();
        await opened.dispose();
      },
    };
    await emitCommitted(h, runWithLoop("r1", "acme"));
    // globex has a run of the same id, with one step of its own (from its own producer: a bus numbers a run id once).
    const otherBus = createBus();
    const otherWriter = createStoreWriter(otherBus, store, { flushIntervalMs: 5 });
    const other = { runId: "r1", accountId: "globex", workflow: { name: "other" } };
    await emitCommitted({ ...h, bus: otherBus, writer: otherWriter }, [{ ...other, type: "run.started" }, { ...other, type: "step.started", stepId: "secret", input: { key: "globex only" } }]);
    await otherWriter.close();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("overview: the run, its graph, and step columns that decode to exactly the store's rows, in under a third of their JSON", async () => {
    const { status, body } = await call(h, "GET", "/api/runs/r1/overview", h.tokens.acme);
    expect(status).toBe(200);
    const overview = body as unknown as RunOverviewBody;
    expect(overview.run).toEqual(json(await h.store.getRun("acme", "r1")));
    expect(overview.graph).toEqual(graph);
    const rows = await h.store.listSteps("acme", "r1");
    expect(rows).toHaveLength(2 + 2 * ITERATIONS);
    expect(fromStepTable(overview.steps, "r1")).toEqual(json(rows));
    // The failures keep their errors (the retried load, the failed check of row 7), by row.
    expect(overview.steps.errors.map((e) => `${overview.steps.stepIds[overview.steps.step[e.row]!]}@${overview.steps.path[e.row]!.join(".")}`).sort()).toEqual(["check@7", "load@"]);
    const full = await call(h, "GET", "/api/runs/r1", h.tokens.acme);
    expect(JSON.stringify(body).length).toBeLessThan(JSON.stringify(full.body).length / 3);
  });

  it("overview with ?tail=: the run's last two pages of that size by seq, aligned to page boundaries", async () => {
    const run = (await h.store.getRun("acme", "r1"))!;
    const { status, body } = await call(h, "GET", "/api/runs/r1/overview?tail=50", h.tokens.acme);
    expect(status).toBe(200);
    const tail = (body as unknown as RunOverviewBody).tail!;
    const after = (Math.ceil(run.lastSeq / 50) - 2) * 50;
    expect(tail.after).toBe(after);
    expect(tail.events).toEqual(json((await h.store.readRun("acme", "r1", { after, limit: 1_000 })).items.map((item) => item.event)));
    expect(tail.events.at(-1)!.seq).toBe(run.lastSeq);
    // A run shorter than two pages: all of it.
    const short = (await call(h, "GET", "/api/runs/r1/overview?tail=1000", h.tokens.acme)).body as unknown as RunOverviewBody;
    expect(short.tail!.after).toBe(0);
    expect(short.tail!.events).toHaveLength(run.lastSeq);
    expect((await call(h, "GET", "/api/runs/r1/overview?tail=0", h.tokens.acme)).status).toBe(400);
  });

  it("a run without a graph on run.started has none in its overview", async () => {
    const base = { runId: "plain", accountId: "acme", workflow: { name: "plain" } };
    await emitCommitted(h, [{ ...base, type: "run.started" }, { ...base, type: "step.started", stepId: "only" }]);
    const { status, body } = await call(h, "GET", "/api/runs/plain/overview", h.tokens.acme);
    expect(status).toBe(200);
    expect(body).not.toHaveProperty("graph");
    expect(fromStepTable((body as unknown as RunOverviewBody).steps, "plain")).toEqual(json(await h.store.listSteps("acme", "plain")));
  });

  it("step detail: one iteration's row and only its own events; a top-level step's attempts, calls and input", async () => {
    const iteration = await call(h, "GET", "/api/runs/r1/steps/check?path=7", h.tokens.acme);
    expect(iteration.status).toBe(200);
    const detail = iteration.body as unknown as StepDetail;
    expect(detail.step).toEqual(json(await h.store.getStep("acme", "r1", "check", [7])));
    expect(detail.step).toMatchObject({ status: "failed", failures: 1, error });
    expect(detail.events.map((e) => [e.type, e.stepId, e.path])).toEqual([["step.started", "check", [7]], ["step.failed", "check", [7]]]);
    expect(detail.next).toBeUndefined();

    const load = (await call(h, "GET", "/api/runs/r1/steps/load", h.tokens.acme)).body as unknown as StepDetail;
    expect(load.step).toMatchObject({ stepId: "load", path: [], status: "completed", attempts: 2 } satisfies Partial<StepRecord>);
    expect(load.events.map((e) => e.type)).toEqual(["step.started", "step.failed", "step.retrying", "step.started", "tool.called", "tool.completed", "step.completed"]);
    expect(load.events[0]).toMatchObject({ input: { source: "s3://rows" } });
    const seqs = load.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("step detail pages by seq: `next` is the page's last seq, and the pages join up", async () => {
    const first = (await call(h, "GET", "/api/runs/r1/steps/load?limit=3", h.tokens.acme)).body as unknown as StepDetail;
    expect(first.events).toHaveLength(3);
    expect(first.next).toBe(first.events[2]!.seq);
    const rest = (await call(h, "GET", `/api/runs/r1/steps/load?after=${first.next}&limit=10`, h.tokens.acme)).body as unknown as StepDetail;
    expect(rest.next).toBeUndefined();
    expect([...first.events, ...rest.events].map((e) => e.type)).toEqual(["step.started", "step.failed", "step.retrying", "step.started", "tool.called", "tool.completed", "step.completed"]);
  });

  it("another account's token gets 404 for both, even where it has a run of that id; it sees only its own", async () => {
    for (const path of ["/api/runs/r1/steps/load", "/api/runs/r1/steps/item?path=3"]) {
      const refused = await call(h, "GET", path, h.tokens.globex);
      expect(refused.status, path).toBe(404);
      expect(JSON.stringify(refused.body)).not.toContain("s3://rows");
    }
    const own = await call(h, "GET", "/api/runs/r1/overview", h.tokens.globex);
    expect(own.status).toBe(200);
    expect((own.body as unknown as RunOverviewBody).steps.stepIds).toEqual(["secret"]);
    expect(JSON.stringify(own.body)).not.toContain("bulk");
    expect((await call(h, "GET", "/api/runs/r1/steps/secret", h.tokens.acme)).status).toBe(404);
    expect((await call(h, "GET", "/api/runs/nope/overview", h.tokens.acme)).body).toMatchObject({ error: "not_found", message: 'no run "nope"' });
    expect((await call(h, "GET", "/api/runs/r1/overview")).status).toBe(401);
  });

  it("a step that is not in the run is a 404 naming it; a malformed path is a 400 naming the field", async () => {
    expect((await call(h, "GET", "/api/runs/r1/steps/item?path=999", h.tokens.acme)).body).toMatchObject({ error: "not_found", message: 'no step "item" at path 999 in run "r1"' });
    // `item` only runs inside the loop: outside it (no path) there is no such row.
    expect((await call(h, "GET", "/api/runs/r1/steps/item", h.tokens.acme)).status).toBe(404);
    const bad = await call(h, "GET", "/api/runs/r1/steps/item?path=1..2", h.tokens.acme);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: "bad_request", field: "querystring.path" });
    expect((await call(h, "GET", "/api/runs/r1/overview?steps=all", h.tokens.acme)).status).toBe(400);
  });
});
