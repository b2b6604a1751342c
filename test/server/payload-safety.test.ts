/**
 * Issue 14, item 1, in the server: a request body nested 8,000 arrays deep used to end the process
 * (`Maximum call stack size exceeded` on the way to the store). Now too deep is a 400 naming the
 * limit; a step output JSON cannot hold is stored as a marker; and each time another run in flight
 * is unharmed and the server answers the next request. A real server over real SQLite, and one
 * case over real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBus } from "runtrail";
import { workflow } from "../../src/engine/index.js";
import { createServer } from "../../src/server/index.js";
import { createStoreWriter, type WriterFailure } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { PG_URL, pgAdmin, testSchema } from "../store/store-fixtures.js";
import { call, readSse, startHarness, type Harness } from "./server-fixtures.js";

/** `levels` nested arrays around 1, as JSON text. */
const nestedJson = (levels: number): string => "[".repeat(levels) + "1" + "]".repeat(levels);

const echo = workflow<unknown>("greet").step("hello", (ctx) => ({ greeting: "hello", input: ctx.input })).build();
const totals = workflow<unknown>("totals")
  .step("sum", (ctx) => {
    const kind = (ctx.input as { kind?: string } | undefined)?.kind;
    if (kind === "bigint") return { total: 10n };
    if (kind === "circular") {
      const node: Record<string, unknown> = { name: "n" };
      node.self = node;
      return node;
    }
    if (kind === "tojson") return { toJSON: () => { throw new Error("no JSON"); } };
    if (kind === "map") return { byId: new Map([["a", 1]]), tags: new Set([1]) };
    if (kind === "deep") {
      let deep: unknown = 1;
      for (let i = 0; i < 10_000; i++) deep = [deep];
      return deep;
    }
    if (kind === "huge") return "x".repeat(50 * 1024 * 1024);
    return "plain";
  })
  .build();
/** A run that stays in flight until its input's `ms` have passed. */
const slow = workflow<{ ms: number }>("slow")
  .step("a", () => "a")
  .step("wait", (ctx) => new Promise((resolve) => setTimeout(() => resolve("waited"), ctx.input.ms)), { needs: ["a"] })
  .step("b", () => "b", { needs: ["wait"] })
  .build();

let h: Harness;
const failures: WriterFailure[] = [];
beforeAll(async () => {
  h = await startHarness({ workflows: [echo, totals, slow], writerOptions: { onError: (f) => failures.push(f) } });
});
afterAll(async () => {
  await h.close();
});

async function post(path: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(h.url + path, { method: "POST", headers: { authorization: `Bearer ${h.tokens.acme}`, "content-type": "application/json" }, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function waitForStatus(runId: string, status: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 400; i++) {
    const got = await call(h, "GET", `/api/runs/${runId}`, h.tokens.acme);
    if ((got.body.run as { status?: string } | undefined)?.status === status) return got.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`run ${runId} never reached ${status}`);
}

/** Starts a slow run, so that another run is in flight while the bad one runs. */
async function startOther(): Promise<string> {
  const started = await call(h, "POST", "/api/workflows/slow/runs", h.tokens.acme, { input: { ms: 300 } });
  expect(started.status).toBe(202);
  return started.body.runId as string;
}

/** The other run ended whole: every seq from 1, run.completed last. */
async function expectWhole(runId: string): Promise<void> {
  await waitForStatus(runId, "completed");
  const events = (await call(h, "GET", `/api/runs/${runId}/events?limit=1000`, h.tokens.acme)).body.events as { seq: number; type: string }[];
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.at(-1)?.type).toBe("run.completed");
}

describe("request bodies have a depth bound beside the size bound", () => {
  it("a 16 KB body nested 8,000 arrays deep is a 400 naming the limit; the other run and the server go on", async () => {
    const other = await startOther();
    const body = `{"input":${nestedJson(8_000)}}`;
    expect(body.length).toBeLessThan(17_000);
    const refused = await post("/api/workflows/greet/runs", body);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: "bad_request", message: "the body is nested deeper than 32 levels, the server's limit (maxBodyDepth)", field: "body" });
    // The server answers the next request, and the run in flight ends whole.
    expect((await call(h, "GET", "/api/runs?limit=1", h.tokens.acme)).status).toBe(200);
    await expectWhole(other);
  });

  it("a body at the limit is accepted and its run stored", async () => {
    // {"input": …} is one level: 31 arrays inside it make 32.
    const accepted = await post("/api/workflows/greet/runs", `{"input":${nestedJson(31)}}`);
    expect(accepted.status).toBe(202);
    await waitForStatus(accepted.body.runId as string, "completed");
  });
});

describe("a step output JSON cannot hold never takes the server down", () => {
  const cases: readonly { kind: string; marker: string }[] = [
    { kind: "bigint", marker: '"$unserializable":"BigInt","path":"output.total"' },
    { kind: "circular", marker: '"$unserializable":"Circular","path":"output.self"' },
    { kind: "tojson", marker: '"$unserializable":"ToJSONError","path":"output"' },
    { kind: "map", marker: '"$unserializable":"Map","path":"output.byId"' },
    { kind: "deep", marker: '"$unserializable":"TooDeep"' },
    { kind: "huge", marker: '"$truncated":true' },
  ];
  for (const { kind, marker } of cases) {
    it(`${kind}: the run completes with a marker at its seq, the fault is reported, the other run is whole, the server answers`, async () => {
      const other = await startOther();
      const before = failures.length;
      const started = await call(h, "POST", "/api/workflows/totals/runs", h.tokens.acme, { input: { kind } });
      expect(started.status).toBe(202);
      const runId = started.body.runId as string;
      await waitForStatus(runId, "completed");
      const page = await fetch(`${h.url}/api/runs/${runId}/events?limit=1000`, { headers: { authorization: `Bearer ${h.tokens.acme}` } });
      expect(page.status).toBe(200);
      const text = await page.text();
      expect(text).toContain(marker);
      const events = (JSON.parse(text) as { events: { seq: number }[] }).events;
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      // The live stream of the run shows the same markers and ends.
      const streamed = await readSse(`${h.url}/api/runs/${runId}/stream`, { token: h.tokens.acme });
      expect(streamed.at(-1)?.kind).toBe("end");
      expect(JSON.stringify(streamed.map((m) => m.data))).toContain(kind === "huge" ? '"$truncated":true' : '"$unserializable"');
      const reported = failures.slice(before).filter((f) => f.stage === "payload");
      if (kind === "huge") expect(reported).toEqual([]);
      else expect(reported.length > 0 && reported.every((f) => f.runId === runId && typeof f.seq === "number")).toBe(true);
      await expectWhole(other);
      expect((await call(h, "GET", "/api/runs?limit=1", h.tokens.acme)).status).toBe(200);
    });
  }
});

describe("on PostgreSQL too", () => {
  it("a BigInt output is stored as a marker at its seq, the run beside it ends whole, and the server answers", async () => {
    const admin = await pgAdmin();
    const schema = testSchema();
    const store = await openPostgresStore({ connectionString: PG_URL, schema });
    const bus = createBus();
    const reported: WriterFailure[] = [];
    const writer = createStoreWriter(bus, store, { flushIntervalMs: 5, onError: (f) => reported.push(f) });
    const server = await createServer({ store, bus, writer, workflows: [totals, slow], onNotice: () => undefined });
    const url = await server.listen({ host: "127.0.0.1", port: 0 });
    const post = async (name: string, input: unknown): Promise<string> => {
      const response = await fetch(`${url}/api/workflows/${name}/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input }) });
      expect(response.status).toBe(202);
      return ((await response.json()) as { runId: string }).runId;
    };
    const ended = async (runId: string): Promise<void> => {
      for (let i = 0; i < 400 && (await store.getRun("default", runId))?.status !== "completed"; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    };
    try {
      const other = await post("slow", { ms: 300 });
      const bad = await post("totals", { kind: "bigint" });
      await ended(bad);
      await ended(other);
      const page = (await (await fetch(`${url}/api/runs/${bad}/events?limit=100`)).json()) as { events: { seq: number; type: string; output?: unknown }[] };
      expect(page.events.map((e) => e.seq)).toEqual(page.events.map((_, i) => i + 1));
      expect(page.events.find((e) => e.type === "step.completed")?.output).toEqual({ total: { $unserializable: "BigInt", path: "output.total", detail: "10" } });
      expect(reported.some((f) => f.stage === "payload" && f.runId === bad)).toBe(true);
      const others = (await store.readRun("default", other, { limit: 100 })).items.map((s) => s.event);
      expect(others.map((e) => e.seq)).toEqual(others.map((_, i) => i + 1));
      expect(others.at(-1)?.type).toBe("run.completed");
      expect((await fetch(`${url}/api/runs?limit=1`)).status).toBe(200);
    } finally {
      await server.close();
      await writer.close();
      await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
