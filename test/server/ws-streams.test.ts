import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitCommitted, emitPaced, range, runEvents, startHarness, WsClient, type Harness } from "./server-fixtures.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const ended = (sub: string) => (messages: readonly { type: string; sub?: unknown }[]) => messages.some((m) => m.type === "end" && m.sub === sub);

describe("WebSocket /api/ws", () => {
  it("answers subscribed, then history, then live, then end", async () => {
    const events = runEvents("ws-1", "acme", 3);
    await emitCommitted(h, events.slice(0, 4));
    const client = await WsClient.connect(h.url, h.tokens.acme);
    client.send({ op: "subscribe", sub: "a", runId: "ws-1", after: 0 });
    await client.until((m) => client.events("a").length === 4);
    for (const event of events.slice(4)) await h.bus.emit(event);
    await client.until(ended("a"));
    expect(client.messages[0]).toEqual({ type: "subscribed", sub: "a", runId: "ws-1", after: 0 });
    const got = client.events("a");
    expect(got.map((e) => e.seq)).toEqual(range(8));
    expect(got.map((e) => e.id)).toEqual(range(8));
    expect(got.slice(0, 4).every((e) => e.type === "history")).toBe(true);
    expect(got.slice(4).every((e) => e.type === "live")).toBe(true);
    expect(client.messages.at(-1)).toEqual({ type: "end", sub: "a", runId: "ws-1", lastSeq: 8 });
    client.close();
  });

  it("resumes after seq N with only later events", async () => {
    await emitCommitted(h, runEvents("ws-2", "acme", 5));
    const client = await WsClient.connect(h.url, h.tokens.acme);
    client.send({ op: "subscribe", runId: "ws-2", after: 9 });
    await client.until(ended("ws-2"));
    expect(client.events("ws-2").map((e) => e.seq)).toEqual([10, 11, 12]);
    client.close();
  });

  it("gives two clients on one run identical streams, and 50 steps exactly 102 consecutive events", async () => {
    const events = runEvents("ws-50", "acme", 50);
    await emitCommitted(h, events.slice(0, 1));
    const a = await WsClient.connect(h.url, h.tokens.acme);
    const b = await WsClient.connect(h.url, h.tokens.acme);
    a.send({ op: "subscribe", sub: "r", runId: "ws-50" });
    b.send({ op: "subscribe", sub: "r", runId: "ws-50" });
    await a.until((m) => m.length >= 2);
    await b.until((m) => m.length >= 2);
    for (const event of events.slice(1)) await h.bus.emit(event);
    await a.until(ended("r"));
    await b.until(ended("r"));
    expect(a.events("r").map((e) => e.seq)).toEqual(range(102));
    expect(b.events("r").map((e) => e.seq)).toEqual(range(102));
    a.close();
    b.close();
  });

  it("three reconnect cycles give a consecutive union", async () => {
    const events = runEvents("ws-reconnect", "acme", 200);
    await emitCommitted(h, events.slice(0, 1));
    const producer = emitPaced(h, events.slice(1));
    const union: number[] = [];
    let after = 0;
    for (let cycle = 0; cycle < 3; cycle++) {
      const client = await WsClient.connect(h.url, h.tokens.acme);
      client.send({ op: "subscribe", sub: "r", runId: "ws-reconnect", after });
      // The producer may finish first: then this cycle ends with the run instead of at 40 events.
      await client.until((messages) => client.events("r").length >= 40 || ended("r")(messages));
      client.ws.terminate();
      const got = client.events("r");
      union.push(...got.map((e) => e.seq));
      // A cycle that starts after the run's last event gets only `end`: it resumes where it was.
      after = got.at(-1)?.id ?? after;
    }
    const client = await WsClient.connect(h.url, h.tokens.acme);
    client.send({ op: "subscribe", sub: "r", runId: "ws-reconnect", after });
    await client.until(ended("r"));
    union.push(...client.events("r").map((e) => e.seq));
    await producer;
    expect(union).toEqual(range(402));
    client.close();
  });

  it("streams an account filter with cursors, only the account's events", async () => {
    const client = await WsClient.connect(h.url, h.tokens.globex);
    client.send({ op: "subscribe", sub: "all", filter: { types: ["run.*"] } });
    await client.until((m) => m.some((x) => x.type === "subscribed"));
    await emitCommitted(h, [...runEvents("ws-acct-a", "acme", 1), ...runEvents("ws-acct-g", "globex", 1)]);
    await client.until(() => client.events("all").some((e) => e.seq === 4));
    const events = client.messages.filter((m) => m.sub === "all" && (m.type === "history" || m.type === "live")).map((m) => m.event as { runId: string; accountId: string; type: string });
    expect(events.every((e) => e.accountId === "globex" && e.type.startsWith("run."))).toBe(true);
    expect(events.filter((e) => e.runId === "ws-acct-g").map((e) => e.type)).toEqual(["run.started", "run.completed"]);
    const ids = client.events("all").map((e) => e.id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    client.close();
  });

  it("answers ping, unsubscribe, and every error as a message with a code", async () => {
    await emitCommitted(h, runEvents("ws-errors", "acme", 1, false));
    await emitCommitted(h, runEvents("ws-globex", "globex", 1));
    const client = await WsClient.connect(h.url, h.tokens.acme);
    client.send({ op: "ping", id: 7 });
    client.send("{not json");
    client.send({ op: "launch" });
    client.send({ op: "subscribe", sub: "x" });
    client.send({ op: "subscribe", runId: "ws-globex" });
    client.send({ op: "subscribe", runId: "ws-errors", after: -1 });
    client.send({ op: "unsubscribe", sub: "nope" });
    // A type glob that selects no event type is refused, as on the HTTP routes.
    client.send({ op: "subscribe", sub: "typo", filter: { types: ["run.*", "steps.*"] } });
    await client.until((m) => m.length >= 8);
    expect(client.messages.slice(0, 8).map((m) => [m.type, m.code])).toEqual([
      ["pong", undefined],
      ["error", "bad_json"],
      ["error", "unknown_op"],
      ["error", "missing_run_id"],
      ["error", "not_found"],
      ["error", "bad_request"],
      ["error", "unknown_subscription"],
      ["error", "bad_request"],
    ]);
    expect(client.messages[0]).toEqual({ type: "pong", id: 7 });
    expect(client.messages[5]!.message).toContain("after");
    expect(client.messages[7]!.message).toMatch(/^filter\.types\.1: "steps\.\*" matches no event type \(built-in types are run\.\*, signal\.\*, step\.\*/);
    client.send({ op: "subscribe", sub: "s", runId: "ws-errors" });
    await client.until(() => client.events("s").length === 3);
    client.send({ op: "subscribe", sub: "s", runId: "ws-errors" });
    client.send({ op: "unsubscribe", sub: "s" });
    await client.until((m) => m.some((x) => x.type === "unsubscribed"));
    expect(client.messages.slice(-2)).toEqual([
      { type: "error", code: "duplicate_subscription", sub: "s", message: expect.any(String) as string },
      { type: "unsubscribed", sub: "s" },
    ]);
    expect(client.closeCode).toBeUndefined();
    client.close();
  });

  it("disconnects a slow client with the position to resume from, and resuming there is gap-free", async () => {
    const slow = await startHarness({ ws: { maxBufferedBytes: 1024 * 1024, slowTimeoutMs: 200 }, live: { pageSize: 10 } });
    try {
      const big = "x".repeat(30_000);
      const events = runEvents("slow", "acme", 500).map((e) => (e.type === "step.completed" ? { ...e, output: big } : e));
      await emitCommitted(slow, events);
      const client = await WsClient.connect(slow.url, slow.tokens.acme);
      // Stop reading: the server's send buffer fills up.
      (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      client.send({ op: "subscribe", sub: "s", runId: "slow" });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      await client.until(() => client.closeCode !== undefined).catch(() => undefined);
      expect(client.closeCode).toBe(4008);
      const error = client.messages.find((m) => m.type === "error")!;
      expect(error).toMatchObject({ code: "slow_consumer", sub: "s" });
      const got = client.events("s").map((e) => e.seq);
      expect(got).toEqual(range(got.length));
      expect(error.resumeAfter).toBe(got.length);
      expect(got.length).toBeLessThan(1_002);

      const again = await WsClient.connect(slow.url, slow.tokens.acme);
      again.send({ op: "subscribe", sub: "s", runId: "slow", after: error.resumeAfter });
      await again.until(ended("s"));
      expect([...got, ...again.events("s").map((e) => e.seq)]).toEqual(range(1_002));
      again.close();
    } finally {
      await slow.close();
    }
  });
});
