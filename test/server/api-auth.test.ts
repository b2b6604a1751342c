/**
 * Every route and stream with no token, a bad token, a wrong-account token (404, never 403, so
 * ids do not leak), a read-only token on writes, and stream tokens.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStreamTokenSigner } from "../../src/server/index.js";
import { call, emitCommitted, readSse, runEvents, startHarness, WsClient, type Harness } from "./server-fixtures.js";

const secret = randomBytes(32);
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ auth: { streamTokenSecret: secret } });
  await emitCommitted(h, runEvents("acme-run", "acme", 2, false));
});
afterAll(async () => {
  await h.close();
});

const ROUTES: readonly [string, string, unknown?][] = [
  ["GET", "/api/runs"],
  ["GET", "/api/runs/acme-run"],
  ["GET", "/api/runs/acme-run/events"],
  ["GET", "/api/analytics/steps"],
  ["POST", "/api/workflows/etl/runs", {}],
  ["POST", "/api/runs/acme-run/cancel", {}],
  ["POST", "/api/stream-tokens", {}],
  ["GET", "/api/runs/acme-run/stream"],
  ["GET", "/api/stream"],
];

describe("authentication", () => {
  it.each(ROUTES)("%s %s: 401 without a token, and with a bad one", async (method, path, body) => {
    const none = await call(h, method, path, undefined, body);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: "unauthorized" });
    const forged = h.tokens.acme.slice(0, -4) + "AAAA";
    for (const token of ["nonsense", forged]) {
      const bad = await call(h, method, path, token, body);
      expect(bad.status).toBe(401);
      expect(bad.body.error).toBe("unauthorized");
    }
  });

  it("401 on a malformed Authorization header", async () => {
    const response = await fetch(`${h.url}/api/runs`, { headers: { authorization: `Basic ${h.tokens.acme}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="runtrail"');
  });

  it("refuses the WebSocket upgrade without a token or with a bad one", async () => {
    await expect(WsClient.connect(h.url)).rejects.toThrow("HTTP 401");
    await expect(WsClient.connect(h.url, "rt_aaaaaaaaaaaa_" + "b".repeat(43))).rejects.toThrow("HTTP 401");
    await expect(WsClient.connect(h.url, undefined, "?token=forged.token")).rejects.toThrow("HTTP 401");
  });
});

describe("tenancy", () => {
  it.each(ROUTES.filter(([, path]) => path.includes("acme-run")))("%s %s with another account's token is 404", async (method, path, body) => {
    const response = await call(h, method, path, h.tokens.globex, body);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: "not_found", message: 'no run "acme-run"' });
    const missing = await call(h, method, path.replace("acme-run", "no-such-run"), h.tokens.globex, body);
    expect(missing.body.message).toBe('no run "no-such-run"');
  });

  it("lists and analyses only the token's account", async () => {
    await emitCommitted(h, runEvents("globex-run", "globex", 1));
    const acme = await call(h, "GET", "/api/runs", h.tokens.acme);
    const globex = await call(h, "GET", "/api/runs", h.tokens.globex);
    expect((acme.body.runs as { runId: string }[]).map((r) => r.runId)).not.toContain("globex-run");
    expect((globex.body.runs as { runId: string }[]).map((r) => r.runId)).toEqual(["globex-run"]);
    const analytics = await call(h, "GET", "/api/analytics/steps", h.tokens.globex);
    expect(analytics.body.durations).toEqual([{ stepId: "s0", count: 1, avgMs: 1, p95Ms: 1 }]);
  });

  it("a POST /api/stream-tokens for another account's run is 404", async () => {
    const response = await call(h, "POST", "/api/stream-tokens", h.tokens.globex, { runId: "acme-run" });
    expect(response.status).toBe(404);
  });

  it("a WebSocket subscription to another account's run is an error message, not a close", async () => {
    const client = await WsClient.connect(h.url, h.tokens.globex);
    client.send({ op: "subscribe", runId: "acme-run" });
    await client.until((m) => m.length === 1);
    expect(client.messages).toEqual([{ type: "error", code: "not_found", message: 'no run "acme-run"', sub: "acme-run" }]);
    expect(client.closeCode).toBeUndefined();
    client.close();
  });
});

describe("read-only tokens", () => {
  it("may read and stream, not start or cancel", async () => {
    expect((await call(h, "GET", "/api/runs/acme-run", h.tokens.acmeReadOnly)).status).toBe(200);
    for (const path of ["/api/workflows/etl/runs", "/api/runs/acme-run/cancel"]) {
      const response = await call(h, "POST", path, h.tokens.acmeReadOnly, {});
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ error: "forbidden", message: "this token is read-only" });
    }
    expect((await call(h, "POST", "/api/stream-tokens", h.tokens.acmeReadOnly, {})).status).toBe(201);
  });
});

describe("stream tokens", () => {
  it("let an EventSource without headers stream its account", async () => {
    const issued = await call(h, "POST", "/api/stream-tokens", h.tokens.acme, { ttlSeconds: 60 });
    expect(issued.status).toBe(201);
    const token = issued.body.token as string;
    const messages = await readSse(`${h.url}/api/runs/acme-run/stream?token=${encodeURIComponent(token)}`, { until: (m) => m.length === 5 });
    expect(messages.map((m) => m.data.seq)).toEqual([1, 2, 3, 4, 5]);
    const ws = await WsClient.connect(h.url, undefined, `?token=${encodeURIComponent(token)}`);
    ws.send({ op: "subscribe", runId: "acme-run" });
    await ws.until(() => ws.events("acme-run").length === 5);
    ws.close();
  });

  it("are accepted on stream routes only", async () => {
    const token = (await call(h, "POST", "/api/stream-tokens", h.tokens.acme, {})).body.token as string;
    const response = await fetch(`${h.url}/api/runs/acme-run?token=${encodeURIComponent(token)}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "bad_request", field: "querystring.token" });
    const runs = await fetch(`${h.url}/api/runs/acme-run/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(runs.status).toBe(401);
  });

  it("bound to a run open that run's stream and nothing else", async () => {
    await emitCommitted(h, runEvents("acme-other", "acme", 1));
    const token = encodeURIComponent((await call(h, "POST", "/api/stream-tokens", h.tokens.acme, { runId: "acme-run" })).body.token as string);
    expect((await fetch(`${h.url}/api/runs/acme-other/stream?token=${token}`)).status).toBe(403);
    expect((await fetch(`${h.url}/api/stream?token=${token}`)).status).toBe(403);
    const ws = await WsClient.connect(h.url, undefined, `?token=${token}`);
    ws.send({ op: "subscribe", runId: "acme-other" });
    await ws.until((m) => m.length === 1);
    expect(ws.messages[0]).toMatchObject({ type: "error", code: "forbidden" });
    ws.close();
  });

  it("expired, tampered or signed with another secret: 401", async () => {
    const signer = createStreamTokenSigner(secret);
    const expired = signer.sign({ accountId: "acme", expiresAt: Date.now() - 1 });
    const valid = signer.sign({ accountId: "acme", expiresAt: Date.now() + 60_000 });
    const [payload, mac] = valid.split(".");
    const tampered = `${Buffer.from(JSON.stringify({ a: "globex", e: Date.now() + 60_000 })).toString("base64url")}.${mac}`;
    const foreign = createStreamTokenSigner(randomBytes(32)).sign({ accountId: "acme", expiresAt: Date.now() + 60_000 });
    for (const token of [expired, tampered, foreign, `${payload}.`]) {
      const response = await fetch(`${h.url}/api/runs/acme-run/stream?token=${encodeURIComponent(token)}`);
      expect(response.status).toBe(401);
    }
  });
});
