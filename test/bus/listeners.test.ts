import { describe, expect, it, vi } from "vitest";
import { createBus, type ConsumerFailure, type RuntrailEvent } from "runtrail";
import { stepStarted } from "../helpers.js";

describe("sync listeners", () => {
  it("are called in registration order, synchronously, in seq order", () => {
    const bus = createBus();
    const calls: string[] = [];
    bus.onEvent((e) => calls.push(`A${e.seq}`));
    bus.onEvent((e) => calls.push(`B${e.seq}`));
    bus.onEvent((e) => calls.push(`C${e.seq}`));
    void bus.emit(stepStarted("r"));
    expect(calls).toEqual(["A1", "B1", "C1"]);
    void bus.emit(stepStarted("r"));
    expect(calls).toEqual(["A1", "B1", "C1", "A2", "B2", "C2"]);
  });

  it("isolate a throwing listener: the others and the producer go on, onError gets the event", () => {
    const failures: ConsumerFailure[] = [];
    const bus = createBus({ onError: (f) => failures.push(f) });
    const seen: number[] = [];
    bus.onEvent(function broken() {
      throw new Error("boom");
    });
    bus.onEvent((e) => seen.push(e.seq));
    expect(() => bus.emit(stepStarted("r"))).not.toThrow();
    void bus.emit(stepStarted("r"));
    expect(seen).toEqual([1, 2]);
    expect(failures.map((f) => [f.consumer, f.name, f.kind, f.event.seq, (f.error as Error).message])).toEqual([
      ["listener", "broken", "threw", 1, "boom"],
      ["listener", "broken", "threw", 2, "boom"],
    ]);
    expect(bus.stats().listenerErrors).toBe(2);
  });

  it("warn through console by default, and an onError hook that throws reaches nobody", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const bus = createBus();
      bus.onEvent(() => {
        throw new Error("first");
      });
      void bus.emit(stepStarted("r"));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toContain("step.started");
    } finally {
      warn.mockRestore();
    }
    const bus = createBus({
      onError: () => {
        throw new Error("hook broke");
      },
    });
    bus.onEvent(() => {
      throw new Error("listener broke");
    });
    expect(() => bus.emit(stepStarted("r"))).not.toThrow();
  });

  it("stop at once when unsubscribed, also during delivery of the same event", () => {
    const bus = createBus();
    const calls: string[] = [];
    let stopB = (): void => {};
    bus.onEvent((e) => {
      calls.push(`A${e.seq}`);
      stopB();
    });
    stopB = bus.onEvent((e) => calls.push(`B${e.seq}`));
    void bus.emit(stepStarted("r"));
    void bus.emit(stepStarted("r"));
    expect(calls).toEqual(["A1", "A2"]);
    expect(bus.stats().listeners).toBe(1);
  });

  it("a listener added during delivery starts with the next event", () => {
    const bus = createBus();
    const late: number[] = [];
    let added = false;
    bus.onEvent(() => {
      if (!added) bus.onEvent((e) => late.push(e.seq));
      added = true;
    });
    void bus.emit(stepStarted("r"));
    void bus.emit(stepStarted("r"));
    expect(late).toEqual([2]);
  });

  it("re-entrant emit: every listener still sees seq order", () => {
    const bus = createBus();
    const byListener: Record<string, number[]> = { A: [], B: [] };
    bus.onEvent((e) => {
      byListener.A!.push(e.seq);
      // The first event makes A emit two more while B has not yet seen event 1.
      if (e.seq === 1) {
        void bus.emit(stepStarted("r", "nested-1"));
        void bus.emit(stepStarted("r", "nested-2"));
      }
    });
    bus.onEvent((e) => byListener.B!.push(e.seq));
    void bus.emit(stepStarted("r"));
    expect(byListener).toEqual({ A: [1, 2, 3], B: [1, 2, 3] });
  });

  it("narrow the event type from the filter", () => {
    const bus = createBus();
    const messages: string[] = [];
    bus.onEvent((e) => messages.push(e.error.message), { type: "step.failed" });
    void bus.emit({
      type: "step.failed",
      runId: "r",
      workflow: { name: "w" },
      stepId: "s",
      durationMs: 3,
      error: { name: "Error", message: "nope" },
    });
    expect(messages).toEqual(["nope"]);
  });

  it("keep working for one run while another run's listener throws", () => {
    const bus = createBus({ onError: () => {} });
    const got: RuntrailEvent[] = [];
    bus.onEvent(() => {
      throw new Error("x");
    }, { runId: "bad" });
    bus.onEvent((e) => got.push(e));
    void bus.emit(stepStarted("bad"));
    void bus.emit(stepStarted("good"));
    expect(got.map((e) => e.runId)).toEqual(["bad", "good"]);
  });
});
