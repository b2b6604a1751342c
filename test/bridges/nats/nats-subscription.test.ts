/**
 * Remote subscriptions straight from the stream: a run from a cursor, live, in seq order even
 * when the stream holds its events out of order or twice; an account with a type glob mapped to a
 * subject filter; resumed by stream sequence.
 */
import { jetstream } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { createBus, type EventInput, type RuntrailEvent } from "runtrail";
import { createNatsPublisher, eventSubject, subscribeNats, type NatsSubscription } from "runtrail/nats";
import { range } from "./nats-fixtures.js";
import { natsTestScope } from "./nats-scope.js";

const { cleanups, setup } = natsTestScope();

async function take(subscription: NatsSubscription, count: number): Promise<RuntrailEvent[]> {
  const out: RuntrailEvent[] = [];
  if (count === 0) return out;
  for await (const event of subscription) {
    out.push(event);
    if (out.length === count) break;
  }
  return out;
}

const workflow = { name: "tail" };

describe("remote subscriptions", () => {
  it("follows a run from a cursor, live, in seq order", async () => {
    const { nc, names } = await setup();
    const bus = createBus();
    const publisher = createNatsPublisher(bus, nc, { prefix: names.prefix });
    cleanups.push(() => publisher.close());
    for (let i = 0; i < 50; i++) void bus.emit({ type: "x.tick", runId: i % 2 === 0 ? "run.a" : "run b", workflow } as EventInput);
    await publisher.flush();
    const subscription = await subscribeNats(nc, { runId: "run.a" }, { stream: names.stream, prefix: names.prefix, after: 10 });
    cleanups.push(() => subscription.close());
    const reading = take(subscription, 25);
    for (let i = 0; i < 20; i++) void bus.emit({ type: "x.tick", runId: "run.a", workflow } as EventInput);
    const events = await reading;
    expect(events.map((e) => e.seq)).toEqual(range(25, 11));
    expect(new Set(events.map((e) => e.runId))).toEqual(new Set(["run.a"]));
  });

  it("delivers a run in seq order when the stream holds it out of order and twice", async () => {
    const { nc, names } = await setup();
    const js = jetstream(nc);
    const event = (seq: number): RuntrailEvent => ({ type: "x.tick", id: `o:${seq}`, runId: "o", accountId: "acme", workflow, seq, ts: seq }) as unknown as RuntrailEvent;
    for (const [seq, id] of [[2, "a"], [1, "b"], [2, "c"], [4, "d"], [3, "e"]] as const) await js.publish(eventSubject(names.prefix, event(seq)), JSON.stringify(event(seq)), { msgID: id });
    const subscription = await subscribeNats(nc, { accountId: "acme" }, { stream: names.stream, prefix: names.prefix });
    cleanups.push(() => subscription.close());
    expect((await take(subscription, 4)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it("filters an account by a type glob on the subject, and resumes by stream sequence", async () => {
    const { nc, names } = await setup();
    const bus = createBus();
    const publisher = createNatsPublisher(bus, nc, { prefix: names.prefix });
    cleanups.push(() => publisher.close());
    for (const accountId of ["acme", "other"]) {
      void bus.emit({ type: "run.started", runId: `${accountId}-r`, accountId, workflow });
      for (let i = 0; i < 5; i++) void bus.emit({ type: "step.completed", runId: `${accountId}-r`, accountId, workflow, stepId: `s${i}`, durationMs: 1 });
    }
    await publisher.flush();
    const options = { stream: names.stream, prefix: names.prefix };
    const subscription = await subscribeNats(nc, { accountId: "acme", type: "step.*" }, options);
    const first = await take(subscription, 3);
    const streamSeq = subscription.streamSeq;
    await subscription.close();
    expect(first.map((e) => [e.accountId, e.type, e.seq])).toEqual([["acme", "step.completed", 2], ["acme", "step.completed", 3], ["acme", "step.completed", 4]]);
    const resumed = await subscribeNats(nc, { accountId: "acme", type: "step.*" }, { ...options, afterStreamSeq: streamSeq });
    cleanups.push(() => resumed.close());
    expect((await take(resumed, 2)).map((e) => e.seq)).toEqual([5, 6]);
  });
});
