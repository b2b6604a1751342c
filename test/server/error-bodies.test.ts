/**
 * Issue 14, item 8: the errors Fastify and Node answer themselves (413, 414, 431, 503) have the
 * documented `{ error, message, field? }` body and say what the limit is; `?types=` takes the same
 * globs as every other filter (the bus's parser), or is a 400 naming the pattern, never an empty
 * 200. A real server over real SQLite.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, emitCommitted, readSse, runEvents, startHarness, type Harness } from "./server-fixtures.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await emitCommitted(h, runEvents("r1", "acme", 3));
});
afterAll(async () => {
  await h.close();
});

/** Writes raw bytes on one connection and collects what comes back until the server closes it. */
function rawExchange(port: number, write: (socket: ReturnType<typeof connect>) => Promise<void>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString()));
    socket.on("close", () => resolve(text));
    socket.on("error", (error) => (text === "" ? reject(error) : resolve(text)));
    socket.once("connect", () => void write(socket).catch(reject));
  });
}

const bodyOf = (response: string, index = 0): unknown => {
  const parts = response.split(/HTTP\/1\.1 /).filter((part) => part !== "");
  const part = parts[index]!;
  return JSON.parse(part.slice(part.indexOf("\r\n\r\n") + 4));
};

describe("Fastify's and Node's own errors in the documented body", () => {
  it("413: a body past bodyLimit names the limit", async () => {
    const response = await call(h, "POST", "/api/stream-tokens", h.tokens.acme, { pad: "x".repeat(2 * 1024 * 1024) });
    expect(response).toEqual({ status: 413, body: { error: "payload_too_large", message: "the body is larger than the server's limit of 1048576 bytes (bodyLimit)", field: "body" } });
  });

  it("414: a URL past maxUrlLength names the limit", async () => {
    const response = await call(h, "GET", `/api/runs?x=${"w".repeat(9_000)}`, h.tokens.acme);
    expect(response).toEqual({ status: 414, body: { error: "uri_too_long", message: "the URL is longer than 8192 bytes, the server's limit (maxUrlLength)", field: "url" } });
  });

  it("431: headers past Node's maxHeaderSize (Fastify's own body before) get ours, and the server answers the next request", async () => {
    const port = Number(new URL(h.url).port);
    const response = await rawExchange(port, async (socket) => {
      socket.write(`GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${"p".repeat(20_000)}\r\n\r\n`);
    });
    expect(response).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(response).toContain("Content-Type: application/json");
    expect(bodyOf(response)).toEqual({ error: "headers_too_large", message: "the request's headers (the URL included) are larger than the server's limit of 16384 bytes (Node's maxHeaderSize)", field: "headers" });
    expect((await call(h, "GET", "/api/runs", h.tokens.acme)).status).toBe(200);
  });

  it("400: bytes that are not HTTP get the documented body too", async () => {
    const port = Number(new URL(h.url).port);
    const response = await rawExchange(port, async (socket) => {
      socket.write("NOT HTTP AT ALL\r\n\r\n");
    });
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bodyOf(response)).toMatchObject({ error: "bad_request", message: expect.stringContaining("the request is not valid HTTP") });
  });

  it("503: a request that arrives on an open connection while the server closes", async () => {
    const own = await startHarness();
    const port = Number(new URL(own.url).port);
    const auth = `Authorization: Bearer ${own.tokens.acme}\r\n`;
    let closing: Promise<void> | undefined;
    const response = await rawExchange(port, async (socket) => {
      // A request still receiving its body keeps the connection busy, so closing waits for it;
      // the request pipelined behind it arrives while the server closes.
      socket.write(`POST /api/stream-tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      closing = own.server.app.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.write(`}GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`);
    });
    await closing;
    await own.close();
    expect(response).toMatch(/^HTTP\/1\.1 201 /);
    expect(response).toMatch(/HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(response).toMatch(/\r\nconnection: close\r\n/i);
    expect(bodyOf(response, 1)).toEqual({ error: "unavailable", message: "the server is shutting down; retry on another server or after it restarts" });
  });
});

describe("?types= takes the bus's type globs, or is a 400 naming the pattern", () => {
  const seqsOf = (body: Record<string, unknown>): number[] => (body.events as { seq: number }[]).map((e) => e.seq);

  it("GET /api/runs/:runId/events?types=step.* selects what the glob does (today: an empty 200)", async () => {
    // r1: run.started, 3 × (step.started, step.completed), run.completed.
    const steps = await call(h, "GET", "/api/runs/r1/events?types=step.*", h.tokens.acme);
    expect(steps.status).toBe(200);
    expect(seqsOf(steps.body)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(steps.body.next).toBeUndefined();
    const mixed = await call(h, "GET", "/api/runs/r1/events?types=*.completed&types=run.started", h.tokens.acme);
    expect(seqsOf(mixed.body)).toEqual([1, 3, 5, 7, 8]);
    const everything = await call(h, "GET", "/api/runs/r1/events?types=*", h.tokens.acme);
    expect(seqsOf(everything.body)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("pages through a glob with after and next", async () => {
    const first = await call(h, "GET", "/api/runs/r1/events?types=step.*&limit=4", h.tokens.acme);
    expect(seqsOf(first.body)).toEqual([2, 3, 4, 5]);
    expect(first.body.next).toBe(5);
    const second = await call(h, "GET", `/api/runs/r1/events?types=step.*&limit=4&after=${first.body.next as number}`, h.tokens.acme);
    expect(seqsOf(second.body)).toEqual([6, 7]);
    expect(second.body.next).toBeUndefined();
  });

  it("a pattern that selects no event type is a 400 naming it, on the run's events and on the account stream", async () => {
    const typo = await call(h, "GET", "/api/runs/r1/events?types=run.started&types=steps.*", h.tokens.acme);
    expect(typo.status).toBe(400);
    expect(typo.body).toEqual({
      error: "bad_request",
      message: 'types "steps.*" matches no event type (built-in types are run.*, signal.*, step.*, wave.*, condition.*, loop.*, variable.*, progress.*, tool.*, llm.*; custom types start with "x.")',
      field: "querystring.types.1",
    });
    const exact = await call(h, "GET", "/api/runs/r1/events?types=step.complete", h.tokens.acme);
    expect(exact.status).toBe(400);
    expect(exact.body.message).toContain('types "step.complete" matches no event type');
    const stream = await call(h, "GET", "/api/stream?types=steps.*", h.tokens.acme);
    expect(stream.status).toBe(400);
    expect(stream.body).toMatchObject({ error: "bad_request", field: "querystring.types.0" });
  });

  it("custom types and their globs are accepted", async () => {
    await emitCommitted(h, [
      { type: "run.started", runId: "r2", accountId: "acme", workflow: { name: "etl" } },
      { type: "x.audit", runId: "r2", accountId: "acme", workflow: { name: "etl" }, data: { ok: true } },
    ]);
    expect(seqsOf((await call(h, "GET", "/api/runs/r2/events?types=x.*", h.tokens.acme)).body)).toEqual([2]);
    expect(seqsOf((await call(h, "GET", "/api/runs/r2/events?types=x.audit", h.tokens.acme)).body)).toEqual([2]);
    const account = await readSse(`${h.url}/api/stream?types=x.*&after=0`, { token: h.tokens.acme, until: (messages) => messages.length >= 1 });
    expect(account.map((m) => m.data.type)).toEqual(["x.audit"]);
  });
});
