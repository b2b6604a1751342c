import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitCommitted, emitPaced, range, readSse, runEvents, startHarness, type Harness, type SseMessage } from "./server-fixtures.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const seqs = (messages: readonly SseMessage[]): number[] => messages.filter((m) => m.kind === "message").map((m) => m.data.seq as number);
const ids = (messages: readonly SseMessage[]): string[] => messages.filter((m) => m.kind === "message").map((m) => m.id);

describe("SSE run stream", () => {
  it("gives a late subscriber the whole history, ids = seq, then end", async () => {
    await emitCommitted(h, runEvents("late-1", "acme", 5));
    const messages = await readSse(`${h.url}/api/runs/late-1/stream`, { token: h.tokens.acme });
    expect(seqs(messages)).toEqual(range(12));
    expect(ids(messages)).toEqual(range(12).map(String));
    expect(messages.at(-1)).toEqual({ kind: "end", id: "", data: { runId: "late-1", lastSeq: 12 } });
    expect(messages[0]!.data).toMatchObject({ type: "run.started", runId: "late-1", accountId: "acme", id: "late-1:1" });
  });

  it("resumes after ?after=N with only later events", async () => {
    await emitCommitted(h, runEvents("resume-1", "acme", 5));
    const messages = await readSse(`${h.url}/api/runs/resume-1/stream?after=5`, { token: h.tokens.acme });
    expect(seqs(messages)).toEqual(range(7, 6));
    expect(messages.at(-1)?.kind).toBe("end");
  });

  it("resumes by Last-Event-ID, which wins over ?after", async () => {
    await emitCommitted(h, runEvents("resume-2", "acme", 5));
    const messages = await readSse(`${h.url}/api/runs/resume-2/stream?after=2`, { token: h.tokens.acme, lastEventId: "7" });
    expect(seqs(messages)).toEqual([8, 9, 10, 11, 12]);
  });

  it("ends at once for a finished run resumed after its last event", async () => {
    await emitCommitted(h, runEvents("resume-3", "acme", 1));
    const messages = await readSse(`${h.url}/api/runs/resume-3/stream`, { token: h.tokens.acme, lastEventId: "4" });
    expect(messages).toEqual([{ kind: "end", id: "", data: { runId: "resume-3", lastSeq: 4 } }]);
  });

  it("rejects a Last-Event-ID that is not a number", async () => {
    await emitCommitted(h, runEvents("bad-id", "acme", 1));
    const response = await fetch(`${h.url}/api/runs/bad-id/stream`, { headers: { authorization: `Bearer ${h.tokens.acme}`, "last-event-id": "1 x" } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "bad_request", field: "headers.last-event-id" });
  });

  it("streams 50 live steps: exactly 102 events with consecutive seq, then end", async () => {
    const events = runEvents("live-50", "acme", 50);
    await emitCommitted(h, events.slice(0, 1));
    const reading = readSse(`${h.url}/api/runs/live-50/stream`, { token: h.tokens.acme });
    await waitForStreams(1);
    for (const event of events.slice(1)) await h.bus.emit(event);
    const messages = await reading;
    expect(seqs(messages)).toEqual(range(102));
    expect(messages.filter((m) => m.kind === "end")).toHaveLength(1);
  });

  it("keeps many open streams without a listener-leak warning (each listens for the server's shutdown)", async () => {
    await emitCommitted(h, runEvents("many-1", "acme", 1, false));
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    try {
      const readers = Array.from({ length: 20 }, () => readSse(`${h.url}/api/runs/many-1/stream`, { token: h.tokens.acme }));
      for (let i = 0; i < 100 && h.server.hub.size < 20; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(h.server.hub.size).toBeGreaterThanOrEqual(20);
      await emitCommitted(h, [{ type: "run.completed", runId: "many-1", accountId: "acme", workflow: { name: "etl" }, durationMs: 1 }]);
      for (const messages of await Promise.all(readers)) expect(seqs(messages)).toEqual(range(4));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.includes("MaxListeners"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("gives two clients on one run identical streams", async () => {
    const events = runEvents("two-clients", "acme", 20);
    await emitCommitted(h, events.slice(0, 10));
    const a = readSse(`${h.url}/api/runs/two-clients/stream`, { token: h.tokens.acme });
    const b = readSse(`${h.url}/api/runs/two-clients/stream`, { token: h.tokens.acme });
    await waitForStreams(2);
    for (const event of events.slice(10)) await h.bus.emit(event);
    const [ma, mb] = await Promise.all([a, b]);
    expect(seqs(ma)).toEqual(range(42));
    expect(ma).toEqual(mb);
  });

  it("hands off from history to live with no gap and no duplicate under a concurrent writer", async () => {
    const events = runEvents("handoff", "acme", 1_500);
    await emitCommitted(h, events.slice(0, 1));
    let emitted = 1;
    const producer = (async () => {
      for (const event of events.slice(1)) {
        await h.bus.emit(event);
        // Yield now and then so commits land while the client reads its history.
        if (++emitted % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    // Connects while the producer is writing: part of the run is history, part is live.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const messages = await readSse(`${h.url}/api/runs/handoff/stream`, { token: h.tokens.acme, timeoutMs: 20_000 });
    await producer;
    expect(seqs(messages)).toEqual(range(3_002));
  });

  it("three reconnect cycles with Last-Event-ID give a consecutive union", async () => {
    const events = runEvents("reconnect", "acme", 300);
    await emitCommitted(h, events.slice(0, 1));
    const producer = emitPaced(h, events.slice(1));
    const union: number[] = [];
    let last: string | undefined;
    for (let cycle = 0; cycle < 3; cycle++) {
      const target = union.length + 50;
      const part = await readSse(`${h.url}/api/runs/reconnect/stream`, {
        token: h.tokens.acme,
        ...(last === undefined ? {} : { lastEventId: last }),
        until: (messages) => union.length + seqs(messages).length >= target,
      });
      union.push(...seqs(part));
      last = ids(part).at(-1);
    }
    const rest = await readSse(`${h.url}/api/runs/reconnect/stream`, { token: h.tokens.acme, lastEventId: last! });
    union.push(...seqs(rest));
    await producer;
    expect(rest.at(-1)?.kind).toBe("end");
    expect(union).toEqual(range(602));
  });

  it("stops the stream's work when the client disconnects", async () => {
    await emitCommitted(h, runEvents("disconnect", "acme", 1, false));
    const before = h.server.hub.size;
    await readSse(`${h.url}/api/runs/disconnect/stream`, { token: h.tokens.acme, until: (m) => m.length === 3 });
    for (let i = 0; i < 100 && h.server.hub.size !== before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(h.server.hub.size).toBe(before);
  });
});

describe("SSE account stream", () => {
  it("streams only the account's events, id = global cursor, strictly increasing", async () => {
    await emitCommitted(h, [...runEvents("acct-a1", "acme", 2), ...runEvents("acct-g1", "globex", 2), ...runEvents("acct-a2", "acme", 1)]);
    const messages = await readSse(`${h.url}/api/stream?runId=acct-a1`, { token: h.tokens.acme, until: (m) => m.length === 6 });
    expect(seqs(messages)).toEqual(range(6));
    const cursors = ids(messages).map(Number);
    expect([...cursors].sort((a, b) => a - b)).toEqual(cursors);
    expect(new Set(cursors).size).toBe(6);

    const all = await readSse(`${h.url}/api/stream?workflow=etl`, { token: h.tokens.globex, until: (m) => m.some((x) => x.data.runId === "acct-g1" && x.data.type === "run.completed") });
    expect(new Set(all.map((m) => m.data.accountId))).toEqual(new Set(["globex"]));
  });

  it("filters by type globs and resumes after a cursor", async () => {
    await emitCommitted(h, runEvents("acct-filter", "acme", 3));
    const steps = await readSse(`${h.url}/api/stream?runId=acct-filter&types=step.*`, { token: h.tokens.acme, until: (m) => m.length === 6 });
    expect(steps.map((m) => m.data.type)).toEqual(["step.started", "step.completed", "step.started", "step.completed", "step.started", "step.completed"]);
    const third = steps[2]!.id;
    const later = await readSse(`${h.url}/api/stream?runId=acct-filter`, { token: h.tokens.acme, lastEventId: third, until: (m) => m.length === 4 });
    expect(seqs(later)).toEqual([5, 6, 7, 8]);
  });

  it("delivers live events of the account to a caught-up stream", async () => {
    const reading = readSse(`${h.url}/api/stream?runId=acct-live`, { token: h.tokens.acme, until: (m) => m.length === 12 });
    await waitForStreams(1);
    for (const event of runEvents("acct-live", "acme", 5)) await h.bus.emit(event);
    expect(seqs(await reading)).toEqual(range(12));
  });
});

describe("SSE and server shutdown", () => {
  it("ends open streams when the server closes, so close() does not wait for the clients", async () => {
    const own = await startHarness();
    await emitCommitted(own, runEvents("shutdown", "acme", 1, false));
    const response = await fetch(`${own.url}/api/runs/shutdown/stream`, { headers: { authorization: `Bearer ${own.tokens.acme}` } });
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("id: 3\n")) text += new TextDecoder().decode((await reader.read()).value);
    const started = Date.now();
    await own.close();
    // The response ended (the client would now reconnect elsewhere with Last-Event-ID 3).
    for (;;) if ((await reader.read()).done) break;
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("SSE heartbeat", () => {
  it("sends a comment every heartbeat interval", async () => {
    const fast = await startHarness({ live: { heartbeatMs: 30 } });
    try {
      await emitCommitted(fast, runEvents("hb", "acme", 1, false));
      const response = await fetch(`${fast.url}/api/runs/hb/stream`, { headers: { authorization: `Bearer ${fast.tokens.acme}` } });
      expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      const reader = response.body!.getReader();
      let text = "";
      while ((text.match(/: heartbeat\n\n/g) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      expect(text.startsWith("retry: 1000\n\nid: 1\ndata: ")).toBe(true);
      expect(text).toContain("id: 3\ndata: ");
    } finally {
      await fast.close();
    }
  });
});

async function waitForStreams(count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (h.server.hub.size >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never saw ${count} streams`);
}
