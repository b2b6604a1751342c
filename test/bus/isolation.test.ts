import { describe, expect, it } from "vitest";
import { createBus } from "runtrail";
import { stepStarted, tick } from "../helpers.js";

describe("consumer isolation", () => {
  it("an observer that hangs does not hold up another observer or the listeners", async () => {
    const bus = createBus({ onError: () => {} });
    bus.observe(() => new Promise<void>(() => {}), { maxConcurrent: 1, timeoutMs: 10_000 });
    const healthy: number[] = [];
    const listened: number[] = [];
    bus.observe((e) => void healthy.push(e.seq), { maxConcurrent: 1 });
    bus.onEvent((e) => listened.push(e.seq));
    for (let i = 0; i < 50; i++) void bus.emit(stepStarted("r"));
    await tick(5);
    expect(listened).toHaveLength(50);
    expect(healthy).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("a stalled lossy stream does not hold up the producer or a live stream", async () => {
    const bus = createBus();
    const stalled = bus.subscribe(undefined, { overflow: "drop-newest", bufferSize: 8 });
    const live = bus.subscribe(undefined, { overflow: "block", bufferSize: 1_000 });
    const pending: (Promise<void> | undefined)[] = [];
    for (let i = 0; i < 500; i++) pending.push(bus.emit(stepStarted("r")));
    expect(pending.every((p) => p === undefined)).toBe(true);
    await bus.close();
    let count = 0;
    for await (const _ of live) count++;
    expect(count).toBe(500);
    expect(stalled.dropped).toBe(492);
  });
});
