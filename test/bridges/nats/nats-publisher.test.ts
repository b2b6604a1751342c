/**
 * The publisher against the real NATS server: every event in the stream once, on its subject,
 * with its id as the message id; acks pipelined; a publisher that outlives NATS being unreachable
 * (a proxy the test cuts) loses nothing, duplicates nothing, and makes producers wait.
 */
import { describe, expect, it } from "vitest";
import { createBus, type EventInput } from "runtrail";
import { createNatsPublisher, decodeToken, type PublishFailure } from "runtrail/nats";
import { NatsProxy, natsConnect, range, seqsByRun, sleep, streamEvents } from "./nats-fixtures.js";
import { natsTestScope } from "./nats-scope.js";

const workflow = { name: "etl" };
const { cleanups, setup } = natsTestScope();

describe("NATS publisher", () => {
  it("publishes every event once, on its subject, with its id as Nats-Msg-Id", async () => {
    const { nc, names } = await setup();
    const bus = createBus();
    const publisher = createNatsPublisher(bus, nc, { prefix: names.prefix, maxInFlight: 64 });
    const hostile = { accountId: "acme corp.*", runId: "run >1", workflow: { name: "é t.l" } };
    for (let i = 0; i < 500; i++) void bus.emit({ type: "x.tick", runId: `r${i % 5}`, workflow, data: { i } } as EventInput);
    void bus.emit({ type: "run.started", ...hostile });
    await publisher.flush();
    expect(publisher.stats()).toMatchObject({ acked: 501, duplicates: 0, waiting: 0, failures: 0 });
    const events = await streamEvents(nc, names.stream);
    expect(events).toHaveLength(501);
    for (const [runId, seqs] of seqsByRun(events.slice(0, 500))) expect(seqs, runId).toEqual(range(100));
    expect(events[500]).toMatchObject({ ...hostile, seq: 1, id: "run >1:1" });

    // The same events again (a worker retrying after a crash): the stream drops them by id.
    const again = createBus();
    const republisher = createNatsPublisher(again, nc, { prefix: names.prefix });
    void again.emit({ type: "x.tick", runId: "r0", workflow, data: { i: 0 } } as EventInput);
    await republisher.close();
    expect(republisher.stats()).toMatchObject({ acked: 1, duplicates: 1 });
    expect(await streamEvents(nc, names.stream)).toHaveLength(501);
    await publisher.close();
  });

  it("an event with a BigInt or a circle is published with markers and reported; the reader goes on, the other run is whole", async () => {
    const { nc, names } = await setup();
    const bus = createBus();
    const failures: PublishFailure[] = [];
    const publisher = createNatsPublisher(bus, nc, { prefix: names.prefix, onError: (f) => failures.push(f) });
    const loop: Record<string, unknown> = { name: "loop" };
    loop.self = loop;
    void bus.emit({ type: "x.tick", runId: "good", workflow, data: { i: 1 } } as EventInput);
    void bus.emit({ type: "step.completed", runId: "bad", workflow, stepId: "s", durationMs: 1, output: { total: 10n, loop } } as EventInput);
    void bus.emit({ type: "x.tick", runId: "good", workflow, data: { i: 2 } } as EventInput);
    void bus.emit({ type: "x.tick", runId: "bad", workflow, data: { i: 3 } } as EventInput);
    await publisher.flush(); // resolves: the reader did not stop
    const events = await streamEvents(nc, names.stream);
    expect(seqsByRun(events).get("good")).toEqual([1, 2]);
    expect(seqsByRun(events).get("bad")).toEqual([1, 2]);
    const bad = events.find((e) => e.runId === "bad" && e.seq === 1) as { output?: unknown };
    expect(bad.output).toEqual({
      total: { $unserializable: "BigInt", path: "output.total", detail: "10" },
      loop: { name: "loop", self: { $unserializable: "Circular", path: "output.loop.self", detail: "same object as output.loop" } },
    });
    expect(failures.map((f) => [f.eventId, f.faults?.map((x) => x.kind)])).toEqual([["bad:1", ["BigInt", "Circular"]]]);
    expect(publisher.stats()).toMatchObject({ acked: 4, failures: 0 });
    await publisher.close();
  });

  it("puts account, workflow, run and type in the subject, one token each", async () => {
    const { nc, names } = await setup();
    const bus = createBus();
    const publisher = createNatsPublisher(bus, nc, { prefix: names.prefix });
    const seen: string[] = [];
    const sub = nc.subscribe(`${names.prefix}.>`, { callback: (_error, msg) => void seen.push(msg.subject) });
    await nc.flush();
    void bus.emit({ type: "step.completed", runId: "a.b c", accountId: "", workflow: { name: "*" }, stepId: "s", durationMs: 1 });
    await publisher.close();
    await nc.flush();
    await sleep(50);
    sub.unsubscribe();
    const tokens = seen[0]!.slice(names.prefix.length + 1).split(".");
    expect(tokens.slice(0, 3).map(decodeToken)).toEqual(["", "*", "a.b c"]);
    expect(tokens.slice(3)).toEqual(["step", "completed"]);
  });

  it("outlives NATS being unreachable for seconds: producers wait, nothing is lost or doubled", async () => {
    const { nc: admin, names } = await setup();
    const proxy = new NatsProxy();
    const servers = await proxy.start();
    cleanups.push(() => proxy.close());
    const nc = await natsConnect({ servers, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    cleanups.push(() => nc.close());
    const bus = createBus();
    const failures: PublishFailure[] = [];
    const publisher = createNatsPublisher(bus, nc, { prefix: names.prefix, bufferSize: 200, maxInFlight: 100, timeoutMs: 500, retryDelayMs: 50, maxRetryDelayMs: 400, onError: (f) => failures.push(f) });
    let waited = 0;
    const producing = (async () => {
      for (let i = 0; i < 3_000; i++) {
        const pressure = bus.emit({ type: "x.tick", runId: `r${i % 3}`, workflow, data: { i } } as EventInput);
        if (pressure !== undefined) {
          waited++;
          await pressure;
        }
        if (i % 50 === 0) await sleep(5);
      }
    })();
    await sleep(150);
    await proxy.cut();
    const cutAt = Date.now();
    await sleep(3_000);
    // While NATS was away, the publisher said so and held producers at its bound.
    expect(failures.length).toBeGreaterThan(0);
    expect(publisher.stats().retrying).toBe(true);
    expect(publisher.stats().waiting).toBeGreaterThanOrEqual(200);
    expect(publisher.stats().waiting).toBeLessThanOrEqual(200 + 100 + 1);
    await proxy.restore();
    await producing;
    await publisher.close();
    expect(waited).toBeGreaterThan(0);
    expect(Date.now() - cutAt).toBeGreaterThan(3_000);
    const events = await streamEvents(admin, names.stream);
    expect(events).toHaveLength(3_000);
    for (const [runId, seqs] of seqsByRun(events)) expect([...seqs].sort((a, b) => a - b), runId).toEqual(range(1_000));
  }, 40_000);
});
