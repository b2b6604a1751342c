/**
 * What a client cannot make a real server hold, and what it is told when its cursor is wrong,
 * against a real server, a real SQLite store and real clients (raw sockets, `fetch`, `ws`):
 * - an SSE client that stops reading is closed after `live.sseDrainTimeoutMs`;
 * - open streams are capped per token and per server (429 naming the cap), SSE and WebSocket alike;
 * - a WebSocket client that stalls longer than the old 5 s cut-off and then reads again still gets
 *   its `slow_consumer` message and close code 4008 with the position to resume from;
 * - a stream resumed past the run's last stored event gets `cursor_ahead` with the stored last seq.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { auth, emitCommitted, range, runEvents, startHarness, WsClient, type Harness } from "./server-fixtures.js";

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, holds: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await pause(20);
  }
}

/** A run with big outputs, so a client that does not read fills every buffer on the way. */
function bigRun(runId: string, steps: number): ReturnType<typeof runEvents> {
  const big = "x".repeat(30_000);
  return runEvents(runId, "acme", steps).map((e) => (e.type === "step.completed" ? { ...e, output: big } : e));
}

/** An SSE request on a raw socket that is never read (paused at once). */
function stalledSse(h: Harness, path: string, token: string): Promise<Socket> {
  const { port } = new URL(h.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Opens an SSE stream with `fetch` and keeps it open; resolves with its status and, for a refusal, its body. */
async function openSse(h: Harness, path: string, token: string, signal: AbortSignal): Promise<{ status: number; body?: Record<string, unknown>; retryAfter: string | null }> {
  const response = await fetch(h.url + path, { headers: auth(token), signal });
  if (response.status === 200) return { status: 200, retryAfter: null };
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, retryAfter: response.headers.get("retry-after") };
}

/** The HTTP status of a refused WebSocket upgrade, or 101. */
function upgradeStatus(h: Harness, token: string): Promise<{ status: number; ws?: WebSocket }> {
  const ws = new WebSocket(h.url.replace(/^http/, "ws") + "/api/ws", { headers: auth(token) });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ status: 101, ws }));
    ws.once("unexpected-response", (_request, response) => resolve({ status: response.statusCode ?? 0 }));
    ws.once("error", reject);
  });
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("an SSE client that stops reading", () => {
  it("is closed after the drain timeout, and the server lets go of its stream", async () => {
    h = await startHarness({ live: { sseDrainTimeoutMs: 300, pageSize: 50 } });
    await emitCommitted(h, bigRun("stall", 400));
    const socket = await stalledSse(h, "/api/runs/stall/stream", h.tokens.acme);
    let closed = false;
    socket.once("close", () => (closed = true));
    await until("the stream to start", () => h!.server.hub.size === 1);
    // Without the timeout the stream waits for a drain that never comes, for ever.
    await until("the stalled stream to be closed", () => h!.server.hub.size === 0, 5_000);
    socket.resume();
    await until("the client's socket to close", () => closed, 5_000);
  });

  it("is not closed while it reads, however slowly the run goes", async () => {
    h = await startHarness({ live: { sseDrainTimeoutMs: 300 } });
    await emitCommitted(h, runEvents("steady", "acme", 1, false));
    const controller = new AbortController();
    const response = await fetch(`${h.url}/api/runs/steady/stream`, { headers: auth(h.tokens.acme), signal: controller.signal });
    await pause(900);
    await emitCommitted(h, runEvents("steady", "acme", 1).slice(3));
    const text = await response.text();
    expect(text).toContain("event: end");
    expect(text.match(/^id: /gm)).toHaveLength(4);
  });
});

describe("caps on open streams", () => {
  it("refuses a stream over the per-token cap and over the server's cap with 429 saying which, SSE and WebSocket alike", async () => {
    h = await startHarness({ live: { maxStreamsPerToken: 2, maxStreams: 3 } });
    await emitCommitted(h, runEvents("capped", "acme", 1, false));
    await emitCommitted(h, runEvents("capped-g", "globex", 1, false));
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    try {
      expect((await openSse(h, "/api/runs/capped/stream", h.tokens.acme, controllers[0]!.signal)).status).toBe(200);
      expect((await openSse(h, "/api/stream", h.tokens.acme, controllers[1]!.signal)).status).toBe(200);
      const overToken = await openSse(h, "/api/runs/capped/stream", h.tokens.acme, new AbortController().signal);
      expect(overToken).toEqual({
        status: 429,
        retryAfter: "1",
        body: { error: "too_many_streams", message: expect.stringContaining("live.maxStreamsPerToken") as string, field: "headers.authorization" },
      });
      expect((await upgradeStatus(h, h.tokens.acme)).status).toBe(429);
      // Another token may still open one, up to the server's cap of 3.
      expect((await openSse(h, "/api/runs/capped-g/stream", h.tokens.globex, controllers[2]!.signal)).status).toBe(200);
      const overServer = await openSse(h, "/api/stream", h.tokens.globex, new AbortController().signal);
      expect(overServer.status).toBe(429);
      expect(overServer.body).toEqual({ error: "too_many_streams", message: expect.stringContaining("live.maxStreams)") as string });
      // A stream that closes gives its slot back.
      controllers[0]!.abort();
      await until("the slot to come back", () => h!.server.hub.size === 2);
      const again = await upgradeStatus(h, h.tokens.acme);
      expect(again.status).toBe(101);
      again.ws?.close();
    } finally {
      for (const controller of controllers) controller.abort();
    }
  });
});

describe("a WebSocket client that stalls", () => {
  it("gets slow_consumer and close 4008 with its resume position when it reads again after 6 s", async () => {
    h = await startHarness({ ws: { maxBufferedBytes: 1024 * 1024, slowTimeoutMs: 200, slowCloseGraceMs: 20_000 }, live: { pageSize: 10 } });
    await emitCommitted(h, bigRun("stalled-ws", 400));
    const client = await WsClient.connect(h.url, h.tokens.acme);
    let reason = "";
    client.ws.once("close", (_code, why) => (reason = why.toString()));
    const socket = (client.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    client.send({ op: "subscribe", sub: "s", runId: "stalled-ws" });
    // Longer than the 5 s after which the server used to cut a slow client (1006, nothing seen).
    await pause(6_000);
    socket.resume();
    await client.until(() => client.closeCode !== undefined, 10_000).catch(() => undefined);
    expect(client.closeCode).toBe(4008);
    const error = client.messages.find((m) => m.type === "error");
    expect(error).toMatchObject({ code: "slow_consumer", sub: "s" });
    const got = client.events("s").map((e) => e.seq);
    expect(got).toEqual(range(got.length));
    expect(error?.resumeAfter).toBe(got.length);
    expect(reason).toBe(`slow consumer; resume after ${got.length}`);
    client.close();
  }, 20_000);

  it("is cut after the grace when it never reads again, and its slot comes back", async () => {
    h = await startHarness({ ws: { maxBufferedBytes: 1024 * 1024, slowTimeoutMs: 200, slowCloseGraceMs: 500 }, live: { pageSize: 10, maxStreamsPerToken: 1 } });
    await emitCommitted(h, bigRun("cut-ws", 400));
    const client = await WsClient.connect(h.url, h.tokens.acme);
    (client.ws as unknown as { _socket: Socket })._socket.pause();
    client.send({ op: "subscribe", sub: "s", runId: "cut-ws" });
    await until("the subscription to start", () => h!.server.hub.size === 1);
    expect((await upgradeStatus(h, h.tokens.acme)).status).toBe(429);
    await until("the slow client's subscription to stop", () => h!.server.hub.size === 0, 5_000);
    const deadline = Date.now() + 5_000;
    for (;;) {
      const { status, ws } = await upgradeStatus(h, h.tokens.acme);
      ws?.close();
      if (status === 101) break;
      if (Date.now() > deadline) throw new Error("the slow client's slot did not come back");
      await pause(50);
    }
    client.ws.terminate();
  });
});

describe("a stream resumed past the run's stored events", () => {
  it("gets cursor_ahead with the stored last seq over SSE (Last-Event-ID and after), not silence", async () => {
    h = await startHarness();
    await emitCommitted(h, runEvents("ahead", "acme", 2, false));
    for (const headers of [{ ...auth(h.tokens.acme), "last-event-id": "50" }, auth(h.tokens.acme)]) {
      const query = "last-event-id" in headers ? "" : "?after=50";
      const response = await fetch(`${h.url}/api/runs/ahead/stream${query}`, { headers });
      expect(response.status).toBe(200);
      const text = await response.text();
      const frame = /event: error\ndata: (.*)\n\n/.exec(text);
      expect(JSON.parse(frame![1]!)).toEqual({ error: "cursor_ahead", message: expect.stringContaining("seq 5") as string, lastSeq: 5 });
      expect(text).not.toContain("id: ");
    }
  });

  it("gets cursor_ahead over WebSocket, and the subscription ends", async () => {
    h = await startHarness();
    await emitCommitted(h, runEvents("ahead-ws", "acme", 2, false));
    const client = await WsClient.connect(h.url, h.tokens.acme);
    client.send({ op: "subscribe", sub: "a", runId: "ahead-ws", after: 9 });
    await client.until((m) => m.some((x) => x.type === "error"));
    expect(client.messages).toEqual([
      { type: "subscribed", sub: "a", runId: "ahead-ws", after: 9 },
      { type: "error", code: "cursor_ahead", sub: "a", lastSeq: 5, message: expect.stringContaining("after seq 9") as string },
    ]);
    // The name is free again: the subscription ended.
    client.send({ op: "subscribe", sub: "a", runId: "ahead-ws", after: 5 });
    await client.until((m) => m.filter((x) => x.type === "subscribed").length === 2);
    await emitCommitted(h, runEvents("ahead-ws", "acme", 2).slice(5));
    await client.until((m) => m.some((x) => x.type === "end"));
    expect(client.events("a").map((e) => e.seq)).toEqual([6]);
    client.close();
  });

  it("is not told cursor_ahead when it resumes exactly at the stored end of a running run", async () => {
    h = await startHarness();
    await emitCommitted(h, runEvents("at-end", "acme", 2, false));
    const client = await WsClient.connect(h.url, h.tokens.acme);
    client.send({ op: "subscribe", sub: "a", runId: "at-end", after: 5 });
    await client.until((m) => m.some((x) => x.type === "subscribed"));
    await pause(100);
    await emitCommitted(h, runEvents("at-end", "acme", 2).slice(5));
    await client.until((m) => m.some((x) => x.type === "end"));
    expect(client.messages.some((m) => m.type === "error")).toBe(false);
    expect(client.events("a").map((e) => e.seq)).toEqual([6]);
    client.close();
  });
});
