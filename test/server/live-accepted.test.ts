/**
 * The server's live modes against a real server, a real SQLite store and real `ws` and
 * `eventsource` clients. The writer writes through a gate that holds its commits until the test
 * opens it, so a test can tell what a client gets before an event is committed and after:
 * - `committed` (the default): run streams get nothing until the commit;
 * - `accepted` (opt-in): run streams get each event as soon as the writer has taken it, exactly
 *   as it will be stored (redacted), before its commit; `end` only once the run is stored;
 *   account streams only committed events.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { EventInput } from "runtrail";
import type { EventStore } from "../../src/store/index.js";
import { createServer } from "../../src/server/index.js";
import { emitCommitted, range, readSse, runEvents, startHarness, WsClient, type Harness, type HarnessOptions } from "./server-fixtures.js";

/** A store whose appends wait while the gate is shut; everything else goes straight through. */
function gated(store: EventStore): { store: EventStore; shut(): void; open(): void; held(): number } {
  let gate: Promise<void> | undefined;
  let release = (): void => undefined;
  let held = 0;
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (key !== "append") return method.bind(target);
      return async (...args: unknown[]) => {
        while (gate !== undefined) {
          held++;
          await gate;
        }
        return method.apply(target, args);
      };
    },
  });
  return {
    store: wrapped,
    shut() {
      gate ??= new Promise<void>((resolve) => (release = resolve));
    },
    open() {
      gate = undefined;
      release();
    },
    held: () => held,
  };
}

type Gated = Harness & { readonly gate: ReturnType<typeof gated> };

async function startGated(options: HarnessOptions = {}): Promise<Gated> {
  let gate!: ReturnType<typeof gated>;
  const h = await startHarness({
    ...options,
    writeStore: (store) => {
      gate = gated(store);
      return gate.store;
    },
  });
  return Object.assign(h, { gate });
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stores the run's first event (so the run exists), subscribes a client to the run as "r", then
 * shuts the gate and emits the rest: they are accepted, and held from the store.
 */
async function streamWithCommitsHeld(g: Gated, events: readonly EventInput[]): Promise<WsClient> {
  await emitCommitted(g, events.slice(0, 1));
  const client = await WsClient.connect(g.url, g.tokens.acme);
  client.send({ op: "subscribe", sub: "r", runId: events[0]!.runId, after: 0 });
  await client.until(() => client.events("r").length === 1);
  g.gate.shut();
  for (const event of events.slice(1)) await g.bus.emit(event);
  return client;
}

let h: Gated | undefined;
afterEach(async () => {
  h?.gate.open();
  await h?.close();
  h = undefined;
});

const ACCEPTED = { mode: "accepted" } as const;

describe("live mode accepted (opt-in)", () => {
  it("sends a run's events before they are committed, as they will be stored, and `end` once they are", async () => {
    h = await startGated({ live: ACCEPTED });
    const events = runEvents("early", "acme", 3);
    // A secret in the output: the default redactor hides it in the store, and so in the stream.
    events[2] = { ...events[2]!, output: { user: "ada", password: "hunter2" } } as (typeof events)[number];
    const client = await streamWithCommitsHeld(h, events);
    await client.until(() => client.events("r").length === events.length);
    expect(client.events("r").map((e) => e.seq)).toEqual(range(events.length));
    expect((await h.store.readRun("acme", "early")).items).toHaveLength(1);
    expect(h.gate.held()).toBeGreaterThan(0);
    // The run has ended but is not stored: no `end` yet.
    await pause(100);
    expect(client.messages.some((m) => m.type === "end")).toBe(false);
    h.gate.open();
    await client.until((m) => m.some((x) => x.type === "end"));
    const stored = (await h.store.readRun("acme", "early")).items.map(({ event }) => event);
    const live = client.messages.filter((m) => m.sub === "r" && (m.type === "history" || m.type === "live")).map((m) => m.event);
    expect(live).toEqual(stored);
    expect(JSON.stringify(live)).not.toContain("hunter2");
    expect(client.messages.at(-1)).toMatchObject({ type: "end", sub: "r", runId: "early", lastSeq: events.length });
    client.close();
  });

  it("ends an SSE stream that resumes after an accepted, uncommitted terminal event once it is committed", async () => {
    h = await startGated({ live: ACCEPTED });
    h.gate.shut();
    const events = runEvents("resume-end", "acme", 2);
    for (const event of events) await h.bus.emit(event);
    const last = events.length;
    let settled = false;
    const reading = readSse(`${h.url}/api/runs/resume-end/stream`, { token: h.tokens.acme, lastEventId: String(last) }).finally(() => (settled = true));
    await pause(150);
    expect(settled).toBe(false);
    h.gate.open();
    const messages = await reading;
    expect(messages.map(({ kind, data }) => ({ kind, data }))).toEqual([{ kind: "end", data: { runId: "resume-end", lastSeq: last } }]);
  });

  it("gives account streams committed events only", async () => {
    h = await startGated({ live: ACCEPTED });
    const events = runEvents("acct", "acme", 2, false);
    h.gate.shut();
    await h.bus.emit(events[0]!);
    // Accepted, not committed: the run can be subscribed to already (it is this account's).
    const client = await WsClient.connect(h.url, h.tokens.acme);
    client.send({ op: "subscribe", sub: "all", filter: {}, after: 0 });
    client.send({ op: "subscribe", sub: "run", runId: "acct", after: 0 });
    await client.until((m) => m.filter((x) => x.type === "subscribed").length === 2);
    for (const event of events.slice(1)) await h.bus.emit(event);
    await client.until(() => client.events("run").length === 5);
    await pause(50);
    expect(client.events("all")).toHaveLength(0);
    // Another account cannot see the accepted run.
    const other = await WsClient.connect(h.url, h.tokens.globex);
    other.send({ op: "subscribe", sub: "run", runId: "acct", after: 0 });
    await other.until((m) => m.some((x) => x.type === "error"));
    expect(other.messages).toEqual([{ type: "error", code: "not_found", message: 'no run "acct"', sub: "run" }]);
    other.close();
    h.gate.open();
    await client.until(() => client.events("all").length === 5);
    // Account streams are positioned by store cursors, which exist once committed.
    const cursors = (await h.store.findEvents("acme", {})).items.map((item) => item.cursor);
    expect(client.events("all").map((e) => e.id)).toEqual(cursors);
    client.close();
  });

  it("hands a late subscriber from the store to accepted events without a gap or a duplicate", async () => {
    h = await startGated({ live: { ...ACCEPTED, tail: { maxEventsPerRun: 20 } } });
    const events = runEvents("late", "acme", 100);
    for (const event of events.slice(0, 81)) await h.bus.emit(event);
    await h.writer.flush();
    // 81 stored; the next 60 accepted but held: the tail keeps them all, past its bound.
    h.gate.shut();
    for (const event of events.slice(81, 141)) await h.bus.emit(event);
    const client = await WsClient.connect(h.url, h.tokens.acme);
    client.send({ op: "subscribe", sub: "r", runId: "late", after: 10 });
    await client.until(() => client.events("r").length === 131);
    h.gate.open();
    for (const event of events.slice(141)) await h.bus.emit(event);
    await client.until((m) => m.some((x) => x.type === "end"));
    expect(client.events("r").map((e) => e.seq)).toEqual(range(events.length - 10, 11));
    client.close();
  });
});

describe("what accepted risks", () => {
  it("tells a client that was shown events a crash lost cursor_ahead when it resumes on a server over the store", async () => {
    h = await startGated({ live: ACCEPTED });
    const events = runEvents("lost", "acme", 5, false);
    const client = await streamWithCommitsHeld(h, events);
    await client.until(() => client.events("r").length === events.length);
    const seen = client.events("r").at(-1)!.seq;
    client.close();
    // The process "crashed" before its commits: a server over the same store holds seq 1 only.
    const after = await createServer({ store: h.store, auth: { defaultAccount: "acme" }, onNotice: () => undefined });
    try {
      const url = await after.listen();
      const resumed = await WsClient.connect(url);
      resumed.send({ op: "subscribe", sub: "r", runId: "lost", after: seen });
      await resumed.until((m) => m.some((x) => x.type === "error"));
      expect(resumed.messages.at(-1)).toMatchObject({ type: "error", code: "cursor_ahead", sub: "r", lastSeq: 1 });
      resumed.close();
    } finally {
      await after.close();
    }
  });
});

describe("live mode committed (the default)", () => {
  it("sends nothing to a run stream before the commit", async () => {
    h = await startGated();
    const events = runEvents("late-only", "acme", 2);
    const client = await streamWithCommitsHeld(h, events);
    await pause(100);
    expect(client.events("r")).toHaveLength(1);
    h.gate.open();
    await client.until((m) => m.some((x) => x.type === "end"));
    expect(client.events("r").map((e) => e.seq)).toEqual(range(events.length));
    client.close();
  });
});
