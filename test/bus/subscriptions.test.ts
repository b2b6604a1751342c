import { describe, expect, it } from "vitest";
import { SubscriptionOverflowError, createBus, type StreamGap, type RuntrailEvent } from "runtrail";
import { stepStarted, tick } from "../helpers.js";

type Item = RuntrailEvent | StreamGap;
const show = (item: Item): string =>
  item.type === "stream.gap" ? `gap:${item.runId}:${item.fromSeq}-${item.toSeq}:${item.dropped}` : `${item.runId}#${item.seq}`;

async function drain(iterable: AsyncIterable<Item>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of iterable) out.push(show(item));
  return out;
}

describe("stream subscriptions", () => {
  it("block: the producer gets a promise at the bound and loses nothing", async () => {
    const bus = createBus();
    const subscription = bus.subscribe(undefined, { overflow: "block", bufferSize: 4 });
    const results: (Promise<void> | undefined)[] = [];
    for (let i = 0; i < 5; i++) results.push(bus.emit(stepStarted("r")));
    // The 4th event filled the buffer: from then on the producer is asked to wait.
    expect(results.map((r) => r instanceof Promise)).toEqual([false, false, false, true, true]);
    let released = false;
    void results[4]!.then(() => (released = true));
    await tick();
    expect(released).toBe(false);
    const first = await subscription.next();
    expect(first.value && show(first.value)).toBe("r#1");
    await subscription.next();
    await tick();
    // 3 of 4 still buffered: the producer waits until half the buffer is free.
    expect(released).toBe(false);
    await subscription.next();
    await tick();
    expect(released).toBe(true);
  });

  it("block: a slow consumer of 10,000 events gets every one, in order, with bounded buffering", async () => {
    const bus = createBus();
    const subscription = bus.subscribe({ runId: "r" }, { overflow: "block", bufferSize: 16 });
    let peakBuffered = 0;
    const consumer = (async () => {
      const seqs: number[] = [];
      for await (const e of subscription) {
        seqs.push(e.seq);
        peakBuffered = Math.max(peakBuffered, subscription.buffered);
        if (e.seq % 100 === 0) await tick();
        if (e.seq === 10_000) break;
      }
      return seqs;
    })();
    for (let i = 0; i < 10_000; i++) {
      const pending = bus.emit(stepStarted("r"));
      if (pending) await pending;
    }
    const seqs = await consumer;
    expect(seqs).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(peakBuffered).toBeLessThanOrEqual(16);
    expect(bus.stats().streamDropped).toBe(0);
  });

  it("drop-oldest: counts drops and puts a gap marker where they were", async () => {
    const bus = createBus();
    const subscription = bus.subscribe(undefined, { overflow: "drop-oldest", bufferSize: 3 });
    for (let i = 0; i < 5; i++) void bus.emit(stepStarted("a"));
    void bus.emit(stepStarted("b"));
    void bus.emit(stepStarted("a"));
    await bus.close();
    expect(subscription.dropped).toBe(4);
    expect(await drain(subscription)).toEqual(["gap:a:1-4:4", "a#5", "b#1", "a#6"]);
    expect(bus.stats().streamDropped).toBe(4);
  });

  it("drop-newest: counts drops and puts a gap marker after what was kept", async () => {
    const bus = createBus();
    const subscription = bus.subscribe(undefined, { overflow: "drop-newest", bufferSize: 2 });
    for (let i = 0; i < 4; i++) void bus.emit(stepStarted("a")); // a#3, a#4 dropped
    void bus.emit(stepStarted("b")); // b#1 dropped
    const kept = [await subscription.next(), await subscription.next()].map((r) => show(r.value as Item));
    expect(kept).toEqual(["a#1", "a#2"]);
    void bus.emit(stepStarted("a")); // room again: the gaps go in first
    await bus.close();
    expect(await drain(subscription)).toEqual(["gap:a:3-4:2", "gap:b:1-1:1", "a#5"]);
    expect(subscription.dropped).toBe(3);
  });

  it("error: delivers what it buffered, then fails naming the first missed event", async () => {
    const bus = createBus();
    const subscription = bus.subscribe(undefined, { overflow: "error", bufferSize: 2 });
    for (let i = 0; i < 4; i++) void bus.emit(stepStarted("a"));
    const got: string[] = [];
    let failure: unknown;
    try {
      for await (const e of subscription) got.push(show(e));
    } catch (error) {
      failure = error;
    }
    expect(got).toEqual(["a#1", "a#2"]);
    expect(failure).toBeInstanceOf(SubscriptionOverflowError);
    expect((failure as SubscriptionOverflowError).firstMissed).toEqual({ runId: "a", seq: 3 });
    expect(bus.stats().subscriptions).toBe(0);
  });

  it("leaving a for-await loop unsubscribes", async () => {
    const bus = createBus();
    const subscription = bus.subscribe();
    void bus.emit(stepStarted("r"));
    void bus.emit(stepStarted("r"));
    for await (const e of subscription) {
      expect(e.seq).toBe(1);
      break;
    }
    expect(bus.stats().subscriptions).toBe(0);
    expect(await subscription.next()).toEqual({ done: true, value: undefined });
  });

  it("unsubscribe ends a consumer that is waiting", async () => {
    const bus = createBus();
    const subscription = bus.subscribe();
    const pending = subscription.next();
    subscription.unsubscribe();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it("close ends every iterator: waiting ones at once, others after what they buffered", async () => {
    const bus = createBus();
    const idle = bus.subscribe({ runId: "none" });
    const busy = bus.subscribe();
    const waiting = idle.next();
    void bus.emit(stepStarted("r"));
    void bus.emit(stepStarted("r"));
    await bus.close();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(await drain(busy)).toEqual(["r#1", "r#2"]);
    // A subscription opened after close is already finished.
    expect(await bus.subscribe().next()).toEqual({ done: true, value: undefined });
  });

  it("close releases a producer blocked on a full subscription", async () => {
    const bus = createBus();
    bus.subscribe(undefined, { overflow: "block", bufferSize: 1 });
    const pending = bus.emit(stepStarted("r"));
    expect(pending).toBeInstanceOf(Promise);
    await bus.close();
    await expect(pending).resolves.toBeUndefined();
  });

  it("filters like listeners do", async () => {
    const bus = createBus();
    const subscription = bus.subscribe({ type: "run.*" });
    void bus.emit(stepStarted("r"));
    void bus.emit({ type: "run.started", runId: "r", workflow: { name: "w" } });
    await bus.close();
    expect(await drain(subscription)).toEqual(["r#2"]);
  });
});
