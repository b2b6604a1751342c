/**
 * Open mode cannot be driven by a web page: only loopback `Host` names (DNS rebinding refused)
 * and, when an `Origin` is sent, loopback origins (or ones named in `http.cors.origin`), for HTTP
 * and the WebSocket upgrade; state-changing requests need `Content-Type: application/json` in
 * every mode (415 otherwise); with tokens, Host and Origin are the tokens' business and CORS stays
 * as configured. Real server, `node:http` requests (they can send any Host), `ws` clients.
 */
import { request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { workflow } from "../../src/engine/index.js";
import { emitCommitted, runEvents, startHarness, type Harness } from "./server-fixtures.js";

const greet = workflow<unknown>("greet").step("hello", () => "hello").build();

/** A request with exactly these headers (Host included); status and parsed body. */
function send(base: string, method: string, path: string, headers: OutgoingHttpHeaders = {}, body?: string): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { host: url.host, ...headers, ...(body === undefined ? {} : { "content-length": Buffer.byteLength(body) }) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>), headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A WebSocket upgrade with these options: "open", or the refusal's status and body. */
function upgrade(base: string, options: WebSocket.ClientOptions, token?: string): Promise<"open" | { status: number; body: Record<string, unknown> }> {
  const ws = new WebSocket(base.replace(/^http/, "ws") + "/api/ws", { ...options, headers: { ...options.headers, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) } });
  return new Promise((resolve, reject) => {
    ws.once("open", () => {
      ws.close();
      resolve("open");
    });
    ws.once("unexpected-response", (_request, response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    ws.once("error", reject);
  });
}

let open: Harness;
let tokens: Harness;
beforeAll(async () => {
  open = await startHarness({ open: true, workflows: [greet] });
  tokens = await startHarness({ workflows: [greet], http: { cors: { origin: ["https://app.example"] } } });
  await emitCommitted(open, runEvents("r1", "default", 1));
});
afterAll(async () => {
  await open.close();
  await tokens.close();
});

describe("open mode: Host", () => {
  it.each(["attacker.example", "attacker.example:8080", "127.0.0.1.nip.io", "localhost.attacker.example", "[::2]:80", "10.0.0.1"])("refuses Host %s (DNS rebinding) with what and why", async (host) => {
    const response = await send(open.url, "GET", "/api/runs", { host });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: "forbidden", field: "headers.host" });
    expect(response.body.message).toContain(`refused Host ${JSON.stringify(host)}: without API tokens (open mode) the server answers only requests for localhost, 127.0.0.1 or [::1]`);
    // Every route alike: the dashboard, streams, unknown paths.
    for (const path of ["/", "/api/stream", "/api/runs/r1/events", "/nope"]) expect((await send(open.url, "GET", path, { host })).status).toBe(403);
  });

  it.each(["localhost", "LOCALHOST:1234", "127.0.0.1", "[::1]:8080"])("serves Host %s (and its own)", async (host) => {
    expect((await send(open.url, "GET", "/api/runs", { host })).status).toBe(200);
    expect((await send(open.url, "GET", "/api/runs")).status).toBe(200);
  });
});

describe("open mode: Origin", () => {
  it.each(["http://evil.example", "https://evil.example:443", "null", "http://localhost.evil.example"])("refuses Origin %s", async (origin) => {
    const response = await send(open.url, "GET", "/api/runs", { origin });
    expect(response).toMatchObject({ status: 403, body: { error: "forbidden", field: "headers.origin" } });
    expect(response.body.message).toContain(`refused Origin ${JSON.stringify(origin)}: without API tokens (open mode)`);
  });

  it.each(["http://localhost:5173", "http://127.0.0.1:8080", "https://[::1]", "http://localhost"])("serves Origin %s", async (origin) => {
    expect((await send(open.url, "GET", "/api/runs", { origin })).status).toBe(200);
  });

  it("refuses the reported attack: a foreign page's POST without a content type starts no run", async () => {
    const before = (await send(open.url, "GET", "/api/runs")).body.runs as unknown[];
    const attack = await send(open.url, "POST", "/api/workflows/greet/runs", { origin: "http://evil.example" }, "");
    expect(attack.status).toBe(403);
    const asForm = await send(open.url, "POST", "/api/workflows/greet/runs", { origin: "http://evil.example", "content-type": "application/x-www-form-urlencoded" }, "input=1");
    expect(asForm.status).toBe(403);
    expect((await send(open.url, "GET", "/api/runs")).body.runs).toEqual(before);
  });

  it("serves an origin named in http.cors.origin, with its CORS headers", async () => {
    const h = await startHarness({ open: true, http: { cors: { origin: ["https://app.example"] } } });
    try {
      const response = await send(h.url, "GET", "/api/runs", { origin: "https://app.example" });
      expect(response.status).toBe(200);
      expect(response.headers["access-control-allow-origin"]).toBe("https://app.example");
      expect((await send(h.url, "GET", "/api/runs", { origin: "https://other.example" })).status).toBe(403);
    } finally {
      await h.close();
    }
  });
});

describe("open mode: the WebSocket upgrade", () => {
  it("refuses a foreign Origin or Host with 403 and the documented body", async () => {
    const foreign = await upgrade(open.url, { origin: "http://evil.example" });
    expect(foreign).toMatchObject({ status: 403, body: { error: "forbidden", field: "headers.origin" } });
    const rebound = await upgrade(open.url, { headers: { host: "attacker.example" } });
    expect(rebound).toMatchObject({ status: 403, body: { error: "forbidden", field: "headers.host" } });
  });

  it("accepts a loopback origin (the dashboard's own page) and no origin (a CLI)", async () => {
    expect(await upgrade(open.url, { origin: new URL(open.url).origin })).toBe("open");
    expect(await upgrade(open.url, { origin: "http://localhost:5173" })).toBe("open");
    expect(await upgrade(open.url, {})).toBe("open");
  });
});

describe("Content-Type of state-changing requests", () => {
  const json = { "content-type": "application/json" };

  it.each([
    ["no Content-Type", {}, "{}", "refused POST with no Content-Type"],
    ["text/plain", { "content-type": "text/plain" }, "{}", 'refused POST with Content-Type "text/plain"'],
    ["a form", { "content-type": "application/x-www-form-urlencoded" }, "a=1", 'refused POST with Content-Type "application/x-www-form-urlencoded"'],
    ["multipart", { "content-type": "multipart/form-data; boundary=x" }, "--x--", 'refused POST with Content-Type "multipart/form-data; boundary=x"'],
    ["application/jsonp", { "content-type": "application/jsonp" }, "{}", 'refused POST with Content-Type "application/jsonp"'],
  ])("are refused with 415 when sent as %s, in open mode and with tokens", async (_name, headers, body, message) => {
    for (const [h, auth] of [
      [open, {}],
      [tokens, { authorization: `Bearer ${tokens.tokens.acme}` }],
    ] as const) {
      const response = await send(h.url, "POST", "/api/stream-tokens", { ...headers, ...auth }, body);
      expect(response.status).toBe(415);
      expect(response.body).toMatchObject({ error: "unsupported_media_type", field: "headers.content-type" });
      expect(response.body.message).toContain(`${message}: requests that change state must send \`Content-Type: application/json\``);
    }
    // Also when the body is empty (`curl -X POST`): a page could send that too.
    expect((await send(open.url, "POST", "/api/runs/r1/cancel", headers)).status).toBe(415);
  });

  it("pass as application/json, with parameters, and with an empty body", async () => {
    expect((await send(open.url, "POST", "/api/stream-tokens", json, "{}")).status).toBe(201);
    expect((await send(open.url, "POST", "/api/stream-tokens", { "content-type": "Application/JSON; charset=utf-8" }, '{"ttlSeconds":60}')).status).toBe(201);
    expect((await send(open.url, "POST", "/api/stream-tokens", json)).status).toBe(201);
    const started = await send(open.url, "POST", "/api/workflows/greet/runs", json);
    expect(started.status).toBe(202);
    const cancel = await send(open.url, "POST", "/api/runs/r1/cancel", json, "");
    expect(cancel.body).toEqual({ error: "conflict", message: 'run "r1" has already completed' });
  });

  it("leaves reads and unknown routes alone", async () => {
    expect((await send(open.url, "GET", "/api/runs", { "content-type": "text/plain" })).status).toBe(200);
    expect((await send(open.url, "POST", "/api/nope")).status).toBe(404);
  });
});

describe("with tokens", () => {
  it("serves any Host and Origin to a valid token; CORS headers for configured origins only", async () => {
    const auth = { authorization: `Bearer ${tokens.tokens.acme}` };
    expect((await send(tokens.url, "GET", "/api/runs", { ...auth, host: "runtrail.example.com" })).status).toBe(200);
    const foreign = await send(tokens.url, "GET", "/api/runs", { ...auth, origin: "https://evil.example" });
    expect(foreign.status).toBe(200);
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
    const configured = await send(tokens.url, "GET", "/api/runs", { ...auth, origin: "https://app.example" });
    expect(configured.headers["access-control-allow-origin"]).toBe("https://app.example");
    // Without a token, a foreign page still gets nothing.
    expect((await send(tokens.url, "GET", "/api/runs", { origin: "https://evil.example" })).status).toBe(401);
    expect(await upgrade(tokens.url, { origin: "https://evil.example", headers: { host: "runtrail.example.com" } }, tokens.tokens.acme)).toBe("open");
  });
});
