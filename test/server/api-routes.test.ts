import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/engine/index.js";
import { createServer } from "../../src/server/index.js";
import { call, emitCommitted, range, readSse, runEvents, startHarness, type Harness } from "./server-fixtures.js";

const double = workflow<number>("double").step("x2", (ctx) => (ctx.input as number) * 2).build();
const waiting = workflow<unknown>("waiting")
  .step("wait", (ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted")))))
  .build();

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workflows: [double, waiting] });
  await emitCommitted(h, runEvents("r1", "acme", 3));
  await emitCommitted(h, runEvents("r2", "acme", 1, false));
});
afterAll(async () => {
  await h.close();
});

describe("runs", () => {
  it("lists runs with filters and cursor pagination", async () => {
    const page1 = await call(h, "GET", "/api/runs?limit=1", h.tokens.acme);
    expect(page1.status).toBe(200);
    expect((page1.body.runs as unknown[]).length).toBe(1);
    const page2 = await call(h, "GET", `/api/runs?limit=1&pageToken=${page1.body.next as string}`, h.tokens.acme);
    const ids = [...(page1.body.runs as { runId: string }[]), ...(page2.body.runs as { runId: string }[])].map((r) => r.runId);
    expect(ids.sort()).toEqual(["r1", "r2"]);
    const running = await call(h, "GET", "/api/runs?status=running", h.tokens.acme);
    expect((running.body.runs as { runId: string }[]).map((r) => r.runId)).toEqual(["r2"]);
    const either = await call(h, "GET", "/api/runs?status=running&status=completed&workflow=etl", h.tokens.acme);
    expect((either.body.runs as unknown[]).length).toBe(2);
  });

  it("returns a run's summary with steps and progress", async () => {
    const response = await call(h, "GET", "/api/runs/r1", h.tokens.acme);
    expect(response.status).toBe(200);
    expect(response.body.run).toMatchObject({ runId: "r1", accountId: "acme", status: "completed", lastSeq: 8, stepsCompleted: 3 });
    expect((response.body.steps as { stepId: string; status: string }[]).map((s) => [s.stepId, s.status])).toEqual([
      ["s0", "completed"],
      ["s1", "completed"],
      ["s2", "completed"],
    ]);
  });

  it("pages a run's events after a seq, with types", async () => {
    const first = await call(h, "GET", "/api/runs/r1/events?limit=3", h.tokens.acme);
    expect((first.body.events as { seq: number }[]).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(first.body.next).toBe(3);
    const rest = await call(h, "GET", "/api/runs/r1/events?after=3&limit=100", h.tokens.acme);
    expect((rest.body.events as { seq: number }[]).map((e) => e.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(rest.body.next).toBeUndefined();
    const typed = await call(h, "GET", "/api/runs/r1/events?after=2&types=step.completed&limit=1", h.tokens.acme);
    expect((typed.body.events as { seq: number }[]).map((e) => e.seq)).toEqual([3]);
    expect(typed.body.next).toBe(3);
    const typedRest = await call(h, "GET", "/api/runs/r1/events?after=3&types=step.completed&types=run.completed", h.tokens.acme);
    expect((typedRest.body.events as { seq: number }[]).map((e) => e.seq)).toEqual([5, 7, 8]);
  });
});

describe("request validation", () => {
  it.each([
    ["/api/runs?limit=0", "querystring.limit"],
    ["/api/runs?limit=abc", "querystring.limit"],
    ["/api/runs?status=sleeping", "querystring.status.0"],
    ["/api/runs?colour=red", "querystring.colour"],
    ["/api/runs/r1/events?after=-1", "querystring.after"],
    ["/api/runs/r1/events?limit=5000", "querystring.limit"],
  ])("GET %s is 400 naming %s", async (path, field) => {
    const response = await call(h, "GET", path, h.tokens.acme);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "bad_request", field });
    expect(response.body.message).toContain(field);
  });

  it("names the body field at fault, and bounds the body size", async () => {
    const extra = await call(h, "POST", "/api/workflows/double/runs", h.tokens.acme, { input: 1, priority: 5 });
    expect(extra).toEqual({ status: 400, body: { error: "bad_request", field: "body.priority", message: "body.priority is not a known field" } });
    const ttl = await call(h, "POST", "/api/stream-tokens", h.tokens.acme, { ttlSeconds: 99_999 });
    expect(ttl.body).toMatchObject({ error: "bad_request", field: "body.ttlSeconds" });
    const huge = await call(h, "POST", "/api/workflows/double/runs", h.tokens.acme, { input: "x".repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    const long = await fetch(`${h.url}/api/runs?workflow=${"w".repeat(9_000)}`, { headers: { authorization: `Bearer ${h.tokens.acme}` } });
    expect(long.status).toBe(414);
  });

  it("serves the OpenAPI document with every route and its parameters", async () => {
    const response = await fetch(`${h.url}/api/openapi.json`);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    expect(doc.openapi).toBe("3.0.3");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/analytics/steps",
      "/api/analytics/steps/series",
      "/api/runs",
      "/api/runs/{runId}",
      "/api/runs/{runId}/cancel",
      "/api/runs/{runId}/children",
      "/api/runs/{runId}/controls",
      "/api/runs/{runId}/events",
      "/api/runs/{runId}/overview",
      "/api/runs/{runId}/resume",
      "/api/runs/{runId}/signals/{name}",
      "/api/runs/{runId}/steps/{stepId}",
      "/api/runs/{runId}/stream",
      "/api/runs/{runId}/suspend",
      "/api/stream",
      "/api/stream-tokens",
      "/api/workflows/{name}/runs",
    ]);
    expect(doc.paths["/api/runs"]!.get!.parameters!.map((p) => p.name).sort()).toEqual(["from", "limit", "pageToken", "status", "to", "withIssues", "workflow"]);
  });
});

describe("workflows", () => {
  it("starts a registered workflow; its run can be streamed at once", async () => {
    const started = await call(h, "POST", "/api/workflows/double/runs", h.tokens.acme, { input: 21 });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    const messages = await readSse(`${h.url}/api/runs/${runId}/stream`, { token: h.tokens.acme });
    const types = messages.filter((m) => m.kind === "message").map((m) => m.data.type);
    expect(types[0]).toBe("run.started");
    expect(types.at(-1)).toBe("run.completed");
    expect(messages.filter((m) => m.kind === "message").map((m) => m.data.seq)).toEqual(range(types.length));
    expect(messages.find((m) => m.data.type === "run.completed")!.data.output).toBe(42);
    expect(messages.every((m) => m.kind === "end" || m.data.accountId === "acme")).toBe(true);
  });

  it("404 for an unknown workflow", async () => {
    const response = await call(h, "POST", "/api/workflows/nope/runs", h.tokens.acme, {});
    expect(response).toEqual({ status: 404, body: { error: "not_found", message: 'no workflow "nope"' } });
  });

  it("cancels a running run it started; 409 for a finished or foreign-process run", async () => {
    const started = await call(h, "POST", "/api/workflows/waiting/runs", h.tokens.acme, {});
    const runId = started.body.runId as string;
    expect((await call(h, "POST", `/api/runs/${runId}/cancel`, h.tokens.globex, {})).status).toBe(404);
    const cancelled = await call(h, "POST", `/api/runs/${runId}/cancel`, h.tokens.acme, { reason: "test" });
    expect(cancelled).toEqual({ status: 202, body: { runId, cancelled: true } });
    const messages = await readSse(`${h.url}/api/runs/${runId}/stream`, { token: h.tokens.acme });
    expect(messages.filter((m) => m.kind === "message").at(-1)!.data.type).toBe("run.cancelled");
    const again = await call(h, "POST", `/api/runs/${runId}/cancel`, h.tokens.acme, {});
    expect(again.status).toBe(409);
    const elsewhere = await call(h, "POST", "/api/runs/r2/cancel", h.tokens.acme, {});
    expect(elsewhere).toEqual({ status: 409, body: { error: "conflict", message: 'run "r2" is not executing in this server' } });
  });
});

describe("open mode and CORS", () => {
  it("refuses a non-loopback bind without tokens, and says it listens on loopback", async () => {
    const notices: string[] = [];
    const server = await createServer({ store: h.store, onNotice: (m) => notices.push(m) });
    await expect(server.listen({ host: "0.0.0.0" })).rejects.toThrow("refusing to listen on 0.0.0.0 without API tokens");
    const url = await server.listen({ host: "127.0.0.1" });
    expect(notices).toEqual(['no API tokens configured: listening on loopback (127.0.0.1) only; every request acts for account "default"']);
    const runs = await fetch(`${url}/api/runs`);
    expect(runs.status).toBe(200);
    await server.close();
  });

  it("sends CORS headers for allowed origins only, also on streams", async () => {
    const server = await createServer({ store: h.store, http: { cors: { origin: ["https://app.example"] } }, onNotice: () => undefined, auth: { defaultAccount: "acme" } });
    const url = await server.listen();
    const allowed = await fetch(`${url}/api/runs`, { headers: { origin: "https://app.example" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const denied = await fetch(`${url}/api/runs`, { headers: { origin: "https://evil.example" } });
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
    const controller = new AbortController();
    const stream = await fetch(`${url}/api/runs/r1/stream`, { headers: { origin: "https://app.example" }, signal: controller.signal });
    expect(stream.headers.get("access-control-allow-origin")).toBe("https://app.example");
    controller.abort();
    await server.close();
  });
});
