import { describe, expect, it } from "vitest";
import { createBus, type ConsumerFailure, type RuntrailEvent } from "runtrail";
import { runStarted, stepStarted, tick } from "../helpers.js";

describe("async observers", () => {
  it("never run on the producer's stack: emit returns before the observer starts", async () => {
    const bus = createBus();
    const order: string[] = [];
    bus.observe(() => {
      order.push("observer");
    });
    void bus.emit(stepStarted("r"));
    order.push("producer after emit");
    await tick();
    expect(order).toEqual(["producer after emit", "observer"]);
  });

  it("run at most maxConcurrent at once", async () => {
    const bus = createBus();
    let inFlight = 0;
    let peak = 0;
    let done = 0;
    bus.observe(
      async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await tick(2);
        inFlight--;
        done++;
      },
      { maxConcurrent: 3 },
    );
    // 12 different runs, so the per-run order does not serialise them.
    for (let i = 0; i < 12; i++) void bus.emit(stepStarted(`r${i}`));
    await bus.close();
    expect(done).toBe(12);
    expect(peak).toBe(3);
  });

  it("see one run's events in seq order even when each takes a different time", async () => {
    const bus = createBus();
    const seen: Record<string, number[]> = {};
    bus.observe(
      async (e) => {
        // Later events finish faster: only per-run serialisation keeps them in order.
        await tick(5 - (e.seq % 5));
        (seen[e.runId] ??= []).push(e.seq);
      },
      { maxConcurrent: 8 },
    );
    for (let i = 0; i < 20; i++) {
      void bus.emit(stepStarted("a"));
      void bus.emit(stepStarted("b"));
    }
    await bus.close();
    const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(seen).toEqual({ a: oneToTwenty, b: oneToTwenty });
  });

  it("are timed out and reported, and the next event goes on", async () => {
    const failures: ConsumerFailure[] = [];
    const bus = createBus({ onError: (f) => failures.push(f) });
    const seen: number[] = [];
    bus.observe(
      async function hangsOnFirst(e) {
        seen.push(e.seq);
        if (e.seq === 1) await new Promise(() => {}); // never settles
      },
      { timeoutMs: 20 },
    );
    void bus.emit(stepStarted("r"));
    void bus.emit(stepStarted("r"));
    await tick(60);
    expect(seen).toEqual([1, 2]);
    expect(failures.map((f) => [f.consumer, f.name, f.kind, f.event.seq])).toEqual([
      ["observer", "hangsOnFirst", "timed-out", 1],
    ]);
    expect(bus.stats().observerTimeouts).toBe(1);
  });

  it("isolate errors, sync or async, from the producer and from each other", async () => {
    const failures: ConsumerFailure[] = [];
    const bus = createBus({ onError: (f) => failures.push(f) });
    const healthy: number[] = [];
    bus.observe(function syncThrow() {
      throw new Error("sync");
    });
    bus.observe(async function asyncReject() {
      throw new Error("async");
    });
    bus.observe((e) => {
      healthy.push(e.seq);
    });
    void bus.emit(stepStarted("r"));
    void bus.emit(stepStarted("r"));
    await bus.close();
    expect(healthy).toEqual([1, 2]);
    expect(failures.map((f) => `${f.name}:${f.event.seq}:${(f.error as Error).message}`).sort()).toEqual([
      "asyncReject:1:async",
      "asyncReject:2:async",
      "syncThrow:1:sync",
      "syncThrow:2:sync",
    ]);
    expect(bus.stats().observerErrors).toBe(4);
  });

  it("may emit from inside an observer without deadlock, and see what they emitted", async () => {
    const bus = createBus();
    const seen: string[] = [];
    bus.observe(
      async (e) => {
        seen.push(`${e.type}#${e.seq}`);
        if (e.type === "run.started") {
          const pending = bus.emit(stepStarted(e.runId, "from-observer"));
          if (pending) await pending;
        }
      },
      { maxConcurrent: 1 },
    );
    void bus.emit(runStarted("r"));
    await tick(10);
    await bus.close();
    expect(seen).toEqual(["run.started#1", "step.started#2"]);
  });

  it("report, never hide, events dropped when an observer falls maxQueue behind", async () => {
    const failures: ConsumerFailure[] = [];
    const bus = createBus({ onError: (f) => failures.push(f) });
    const seen: number[] = [];
    bus.observe(
      async (e) => {
        seen.push(e.seq);
        await tick(1);
      },
      { maxQueue: 5, maxConcurrent: 1 },
    );
    for (let i = 0; i < 10; i++) void bus.emit(stepStarted("r"));
    await bus.close();
    // 10 queued before the first started; the 5 oldest were dropped and each reported.
    expect(failures.map((f) => [f.kind, f.event.seq])).toEqual([1, 2, 3, 4, 5].map((seq) => ["dropped", seq]));
    expect(seen).toEqual([6, 7, 8, 9, 10]);
    expect(bus.stats().observerDropped).toBe(5);
  });

  it("receive only what their filter selects, and stop when unsubscribed", async () => {
    const bus = createBus();
    const seen: RuntrailEvent[] = [];
    const stop = bus.observe((e) => void seen.push(e), { filter: { type: "run.*" } });
    void bus.emit(runStarted("r"));
    void bus.emit(stepStarted("r"));
    await tick();
    stop();
    void bus.emit(runStarted("r2"));
    await tick();
    expect(seen.map((e) => e.type)).toEqual(["run.started"]);
  });
});
