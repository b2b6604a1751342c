/**
 * `/api/openapi.json` documents every JSON route's answers, and every answer the server really
 * sends validates against the documented schema (ajv over the fetched document), so the document
 * cannot drift from the server. A response schema drops fields it does not name, so the bodies
 * are also compared with what the store holds.
 */
import type { Static } from "@sinclair/typebox";
import { Ajv, type ValidateFunction } from "ajv";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { EventInput } from "runtrail";
import { workflow } from "../../src/engine/index.js";
import type { EventBody, RunBody, StepAnalytics, StepBody } from "../../src/server/http/api-responses.js";
import { createServer } from "../../src/server/index.js";
import { createBus } from "../../src/bus/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import type { RunRecord, StepDurationStat, StepFailureStat, StepRecord } from "../../src/store/index.js";
import type { RuntrailEvent } from "../../src/events/catalog.js";
import { emitCommitted, runEvents, startHarness, type Harness } from "./server-fixtures.js";

interface OpenApiDoc {
  readonly components: Record<string, unknown>;
  readonly paths: Record<string, Record<string, { readonly responses: Record<string, { readonly content?: Record<string, { readonly schema: Record<string, unknown> }> }> }>>;
}

const double = workflow<number>("double").step("x2", (ctx) => (ctx.input as number) * 2).build();
const waiting = workflow<unknown>("waiting")
  .step("wait", (ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted")))))
  .build();

const wf = { name: "etl", version: "2" };
// Fields no schema names, which must still reach the client: an error's own field, a custom event's.
const error = { name: "TypeError", message: "boom", code: "E42", retryable: false, hint: "check the input" };
const note = { type: "x.note", runId: "r3", accountId: "acme", workflow: wf, stepId: "load", data: { rows: 3 }, author: "ops" };

/** A failed run with a retry, a loop step with metrics and issues, progress and a custom event. */
const failedRun: EventInput[] = [
  { type: "run.started", runId: "r3", accountId: "acme", workflow: wf, input: { n: 1 }, totalSteps: 2 },
  { type: "step.started", runId: "r3", accountId: "acme", workflow: wf, stepId: "each", path: [0] },
  { type: "step.completed", runId: "r3", accountId: "acme", workflow: wf, stepId: "each", path: [0], durationMs: 4, metrics: { rows: 2 }, issues: ["slow"] },
  { type: "progress.updated", runId: "r3", accountId: "acme", workflow: wf, progress: { completed: 1, failed: 0, skipped: 0, total: 2, percent: 50 } },
  { type: "step.started", runId: "r3", accountId: "acme", workflow: wf, stepId: "load", attempt: 1 },
  note as EventInput,
  { type: "step.failed", runId: "r3", accountId: "acme", workflow: wf, stepId: "load", attempt: 1, durationMs: 2, error },
  { type: "step.retrying", runId: "r3", accountId: "acme", workflow: wf, stepId: "load", attempt: 1, delayMs: 0, nextAttempt: 2, error },
  { type: "step.started", runId: "r3", accountId: "acme", workflow: wf, stepId: "load", attempt: 2 },
  { type: "step.failed", runId: "r3", accountId: "acme", workflow: wf, stepId: "load", attempt: 2, durationMs: 3, error },
  { type: "run.failed", runId: "r3", accountId: "acme", workflow: wf, durationMs: 12, error },
];

let h: Harness;
let doc: OpenApiDoc;
const ajv = new Ajv({ strict: false, allErrors: true });
const validators = new Map<string, ValidateFunction>();
/** Every (route, status) whose real answer was validated. */
const seen = new Set<string>();

/** The JSON routes and the statuses each documents (500 for every one: an internal error). */
const DOCUMENTED: Record<string, readonly number[]> = {
  "get /api/runs": [200, 400, 401, 414, 500],
  "get /api/runs/{runId}": [200, 400, 401, 404, 414, 500],
  "get /api/runs/{runId}/events": [200, 400, 401, 404, 414, 500],
  "get /api/runs/{runId}/overview": [200, 400, 401, 404, 414, 500],
  "get /api/runs/{runId}/steps/{stepId}": [200, 400, 401, 404, 414, 500],
  "get /api/analytics/steps": [200, 400, 401, 414, 500],
  "post /api/workflows/{name}/runs": [202, 400, 401, 403, 404, 409, 413, 414, 415, 500, 503],
  "post /api/runs/{runId}/cancel": [202, 400, 401, 403, 404, 409, 413, 414, 415, 500],
  "post /api/stream-tokens": [201, 400, 401, 404, 413, 414, 415, 500],
  "get /api/runs/{runId}/stream": [200, 400, 401, 403, 404, 414, 429, 500],
  "get /api/stream": [200, 400, 401, 403, 414, 429, 500],
};

/** Routes whose success is a `text/event-stream` (SSE), not JSON. */
const STREAMS = new Set(["get /api/runs/{runId}/stream", "get /api/stream"]);

function schemaOf(route: string, status: number): Record<string, unknown> {
  const [method = "", path = ""] = route.split(" ");
  const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.["application/json"]?.schema;
  if (schema === undefined) throw new Error(`${route} documents no JSON body for ${status}`);
  return schema;
}

/** Sends a request, checks its status, and validates its body against the documented schema. */
async function expectDocumented(
  route: string,
  status: number,
  url: string,
  init: { method?: string; token?: string; body?: unknown; rawBody?: string; contentType?: string } = {},
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = init.token === undefined ? {} : { authorization: `Bearer ${init.token}` };
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  if (body !== undefined) headers["content-type"] = init.contentType ?? "application/json";
  const response = await fetch(url, { method: init.method ?? route.split(" ")[0]!.toUpperCase(), headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  expect(response.status, `${route} → ${text}`).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const json = JSON.parse(text) as Record<string, unknown>;
  const key = `${route} ${status}`;
  let validate = validators.get(key);
  if (validate === undefined) {
    // The document's `#/components/…` references resolve against this root.
    validate = ajv.compile({ ...schemaOf(route, status), components: doc.components });
    validators.set(key, validate);
  }
  expect(validate(json) ? [] : validate.errors, `${key}: ${text}`).toEqual([]);
  seen.add(key);
  return json;
}

const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

beforeAll(async () => {
  h = await startHarness({ workflows: [double, waiting] });
  await emitCommitted(h, runEvents("r1", "acme", 3));
  await emitCommitted(h, runEvents("r2", "acme", 1, false));
  await emitCommitted(h, failedRun);
  doc = (await (await fetch(`${h.url}/api/openapi.json`)).json()) as OpenApiDoc;
});
afterAll(async () => {
  await h.close();
});

describe("the OpenAPI document", () => {
  it("documents the responses of every JSON route, errors as the shared Error schema", () => {
    for (const [route, statuses] of Object.entries(DOCUMENTED)) {
      const [method = "", path = ""] = route.split(" ");
      const responses = doc.paths[path]?.[method]?.responses ?? {};
      expect(Object.keys(responses).map(Number), route).toEqual(statuses);
      for (const status of statuses) {
        if (status < 400 && STREAMS.has(route)) {
          expect(doc.paths[path]?.[method]?.responses[String(status)]?.content?.["text/event-stream"]?.schema, route).toMatchObject({ type: "string" });
          continue;
        }
        const schema = schemaOf(route, status);
        if (status >= 400) expect(schema, `${route} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
        else expect(schema.type, `${route} ${status}`).toBe("object");
      }
    }
    expect(Object.keys(doc.components.schemas as object).sort()).toEqual(["Error", "Event", "Run", "Step"]);
  });

  it("names every field of the store's records (checked by the type checker)", () => {
    expectTypeOf<keyof Static<typeof RunBody>>().toEqualTypeOf<keyof RunRecord>();
    expectTypeOf<keyof Static<typeof StepBody>>().toEqualTypeOf<keyof StepRecord>();
    expectTypeOf<keyof Static<typeof StepAnalytics>["durations"][number]>().toEqualTypeOf<keyof StepDurationStat>();
    expectTypeOf<keyof Static<typeof StepAnalytics>["failures"][number]>().toEqualTypeOf<keyof StepFailureStat>();
    expectTypeOf<RuntrailEvent>().toMatchTypeOf<Static<typeof EventBody>>();
  });
});

describe("real answers match the document", () => {
  it("read routes: 200 bodies are what the store holds, nothing dropped", async () => {
    const page = await expectDocumented("get /api/runs", 200, `${h.url}/api/runs?limit=2`, { token: h.tokens.acme });
    expect(page.next).toEqual(expect.any(String));
    const all = await expectDocumented("get /api/runs", 200, `${h.url}/api/runs`, { token: h.tokens.acme });
    expect(all).toEqual(json({ runs: (await h.store.listRuns("acme")).items }));

    const summary = await expectDocumented("get /api/runs/{runId}", 200, `${h.url}/api/runs/r3`, { token: h.tokens.acme });
    expect(summary).toEqual(json({ run: await h.store.getRun("acme", "r3"), steps: await h.store.listSteps("acme", "r3") }));
    expect(summary.run).toMatchObject({ status: "failed", error, progress: { percent: 50 }, workflow: wf, issueCount: 1 });

    const events = await expectDocumented("get /api/runs/{runId}/events", 200, `${h.url}/api/runs/r3/events`, { token: h.tokens.acme });
    expect(events).toEqual(json({ events: (await h.store.readRun("acme", "r3")).items.map((item) => item.event) }));
    expect((events.events as Record<string, unknown>[]).find((e) => e.type === "x.note")).toMatchObject(note);
    const first = await expectDocumented("get /api/runs/{runId}/events", 200, `${h.url}/api/runs/r3/events?limit=2`, { token: h.tokens.acme });
    expect(first.next).toBe(2);
    const typed = await expectDocumented("get /api/runs/{runId}/events", 200, `${h.url}/api/runs/r3/events?types=step.failed&limit=1`, { token: h.tokens.acme });
    expect(typed).toMatchObject({ events: [{ type: "step.failed", error }], next: 7 });

    const overview = await expectDocumented("get /api/runs/{runId}/overview", 200, `${h.url}/api/runs/r3/overview?tail=4`, { token: h.tokens.acme });
    expect(overview).toMatchObject({ run: json(await h.store.getRun("acme", "r3")), steps: { stepIds: ["each", "load"], errors: [{ row: 1, error }] }, tail: { after: 4 } });
    const detail = await expectDocumented("get /api/runs/{runId}/steps/{stepId}", 200, `${h.url}/api/runs/r3/steps/each?path=0`, { token: h.tokens.acme });
    expect(detail).toEqual(json({ step: await h.store.getStep("acme", "r3", "each", [0]), events: (await h.store.readStepEvents("acme", "r3", "each", { path: [0] })).items.map((item) => item.event) }));
    expect((detail.events as Record<string, unknown>[])[1]).toMatchObject({ metrics: { rows: 2 }, issues: ["slow"] });

    const analytics = await expectDocumented("get /api/analytics/steps", 200, `${h.url}/api/analytics/steps`, { token: h.tokens.acme });
    expect(analytics).toEqual(json({ durations: await h.store.stepDurations("acme"), failures: await h.store.stepFailures("acme") }));
    expect((analytics.failures as unknown[]).length).toBeGreaterThan(0);
  });

  it("write routes: start, cancel, stream token", async () => {
    await expectDocumented("post /api/workflows/{name}/runs", 202, `${h.url}/api/workflows/double/runs`, { token: h.tokens.acme, body: { input: 2 } });
    const started = await expectDocumented("post /api/workflows/{name}/runs", 202, `${h.url}/api/workflows/waiting/runs`, { token: h.tokens.acme, body: {} });
    const runId = started.runId as string;
    expect(started).toEqual({ runId, workflow: "waiting" });
    const cancelled = await expectDocumented("post /api/runs/{runId}/cancel", 202, `${h.url}/api/runs/${runId}/cancel`, { token: h.tokens.acme, body: { reason: "test" } });
    expect(cancelled).toEqual({ runId, cancelled: true });
    const bound = await expectDocumented("post /api/stream-tokens", 201, `${h.url}/api/stream-tokens`, { token: h.tokens.acme, body: { runId: "r1" } });
    expect(bound).toEqual({ token: expect.any(String), expiresAt: expect.any(Number), runId: "r1" });
    // With an empty body (still as application/json, as every state-changing request), or with JSON null (the cancel body allows it): every field is optional.
    await expectDocumented("post /api/stream-tokens", 201, `${h.url}/api/stream-tokens`, { token: h.tokens.acme, rawBody: "" });
    await expectDocumented("post /api/runs/{runId}/cancel", 409, `${h.url}/api/runs/r2/cancel`, { token: h.tokens.acme, rawBody: "null" });
  });

  it("every documented error, as the routes really answer it", async () => {
    const acme = h.tokens.acme;
    const readOnly = h.tokens.acmeReadOnly;
    const longQuery = `?x=${"w".repeat(9_000)}`;
    const huge = { input: "x".repeat(2 * 1024 * 1024) };
    const routes = [
      ["get /api/runs", "/api/runs"],
      ["get /api/runs/{runId}", "/api/runs/r1"],
      ["get /api/runs/{runId}/events", "/api/runs/r1/events"],
      ["get /api/runs/{runId}/overview", "/api/runs/r1/overview"],
      ["get /api/runs/{runId}/steps/{stepId}", "/api/runs/r1/steps/s0"],
      ["get /api/analytics/steps", "/api/analytics/steps"],
      ["post /api/workflows/{name}/runs", "/api/workflows/double/runs"],
      ["post /api/runs/{runId}/cancel", "/api/runs/r2/cancel"],
      ["post /api/stream-tokens", "/api/stream-tokens"],
      ["get /api/runs/{runId}/stream", "/api/runs/r1/stream"],
      ["get /api/stream", "/api/stream"],
    ] as const;
    for (const [route, path] of routes) {
      const body = route.startsWith("post") ? {} : undefined;
      expect(await expectDocumented(route, 401, h.url + path, { body })).toMatchObject({ error: "unauthorized" });
      expect(await expectDocumented(route, 414, h.url + path + longQuery, { token: acme, body })).toMatchObject({ error: "uri_too_long" });
      expect(await expectDocumented(route, 400, `${h.url}${path}?colour=red`, { token: acme, body })).toMatchObject({ error: "bad_request", field: "querystring.colour" });
      if (body === undefined) continue;
      expect(await expectDocumented(route, 413, h.url + path, { token: acme, body: huge })).toMatchObject({ error: "payload_too_large" });
      expect(await expectDocumented(route, 415, h.url + path, { token: acme, rawBody: "<input/>", contentType: "application/xml" })).toMatchObject({ error: "unsupported_media_type", field: "headers.content-type" });
      expect(await expectDocumented(route, 400, h.url + path, { token: acme, rawBody: "{" })).toMatchObject({ error: "bad_request", field: "body" });
    }
    await expectDocumented("get /api/runs", 400, `${h.url}/api/runs?pageToken=garbage`, { token: acme });
    await expectDocumented("post /api/stream-tokens", 400, `${h.url}/api/stream-tokens`, { token: acme, body: { ttlSeconds: 0 } });

    await expectDocumented("post /api/workflows/{name}/runs", 403, `${h.url}/api/workflows/double/runs`, { token: readOnly, body: {} });
    await expectDocumented("post /api/runs/{runId}/cancel", 403, `${h.url}/api/runs/r2/cancel`, { token: readOnly, body: {} });

    await expectDocumented("get /api/runs/{runId}", 404, `${h.url}/api/runs/r1`, { token: h.tokens.globex });
    await expectDocumented("get /api/runs/{runId}/events", 404, `${h.url}/api/runs/nope/events`, { token: acme });
    await expectDocumented("get /api/runs/{runId}/overview", 404, `${h.url}/api/runs/r1/overview`, { token: h.tokens.globex });
    await expectDocumented("get /api/runs/{runId}/steps/{stepId}", 404, `${h.url}/api/runs/r1/steps/nope`, { token: acme });
    await expectDocumented("post /api/workflows/{name}/runs", 404, `${h.url}/api/workflows/nope/runs`, { token: acme, body: {} });
    await expectDocumented("post /api/runs/{runId}/cancel", 404, `${h.url}/api/runs/nope/cancel`, { token: acme, body: {} });
    await expectDocumented("post /api/stream-tokens", 404, `${h.url}/api/stream-tokens`, { token: acme, body: { runId: "nope" } });
    await expectDocumented("get /api/runs/{runId}/stream", 404, `${h.url}/api/runs/nope/stream`, { token: acme });
    // A stream token bound to r1 opens neither another run's stream nor the account's.
    const bound = (await expectDocumented("post /api/stream-tokens", 201, `${h.url}/api/stream-tokens`, { token: acme, body: { runId: "r1" } })).token as string;
    await expectDocumented("get /api/runs/{runId}/stream", 403, `${h.url}/api/runs/r2/stream?token=${bound}`);
    await expectDocumented("get /api/stream", 403, `${h.url}/api/stream?token=${bound}`);

    // With an empty body (as application/json): every field of the body is optional.
    expect(await expectDocumented("post /api/runs/{runId}/cancel", 409, `${h.url}/api/runs/r2/cancel`, { token: acme, rawBody: "" })).toEqual({
      error: "conflict",
      message: 'run "r2" is not executing in this server',
    });
    // A server without a bus and writer cannot start runs.
    const bare = await createServer({ store: h.store, workflows: [double], onNotice: () => undefined });
    const bareUrl = await bare.listen();
    try {
      await expectDocumented("post /api/workflows/{name}/runs", 409, `${bareUrl}/api/workflows/double/runs`, { body: {} });
    } finally {
      await bare.close();
    }
    // A server whose cap on open streams is reached refuses one more.
    const full = await createServer({ store: h.store, auth: { defaultAccount: "acme" }, live: { maxStreams: 0 }, onNotice: () => undefined });
    const fullUrl = await full.listen();
    try {
      expect(await expectDocumented("get /api/runs/{runId}/stream", 429, `${fullUrl}/api/runs/r1/stream`)).toMatchObject({ error: "too_many_streams" });
      expect(await expectDocumented("get /api/stream", 429, `${fullUrl}/api/stream`)).toMatchObject({ error: "too_many_streams" });
    } finally {
      await full.close();
    }
    // A draining server starts no runs.
    const bus = createBus();
    const writer = createStoreWriter(bus, h.store);
    const draining = await createServer({ store: h.store, bus, writer, workflows: [double], onNotice: () => undefined });
    const drainingUrl = await draining.listen();
    try {
      await draining.drain({ graceMs: 0 });
      expect(await expectDocumented("post /api/workflows/{name}/runs", 503, `${drainingUrl}/api/workflows/double/runs`, { body: {} })).toMatchObject({ error: "draining" });
    } finally {
      await draining.close();
      await writer.close();
    }
  });

  it("SSE routes answer a text/event-stream", async () => {
    for (const [route, path] of [
      ["get /api/runs/{runId}/stream", "/api/runs/r1/stream"],
      ["get /api/stream", "/api/stream"],
    ] as const) {
      const aborted = new AbortController();
      const response = await fetch(h.url + path, { headers: { authorization: `Bearer ${h.tokens.acme}` }, signal: aborted.signal });
      expect(response.status, route).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      const first = new TextDecoder().decode((await response.body!.getReader().read()).value);
      expect(first).toContain("retry: 1000");
      aborted.abort();
      seen.add(`${route} 200`);
    }
  });

  it("every documented answer but 500 was exercised above", () => {
    const documented = Object.entries(DOCUMENTED).flatMap(([route, statuses]) => statuses.filter((s) => s !== 500).map((s) => `${route} ${s}`));
    expect([...seen].sort()).toEqual(documented.sort());
  });
});
