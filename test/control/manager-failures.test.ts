import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createControl,
  DuplicateHandlerError,
  HandlerTimeoutError,
  type ControlFailure,
  type ControlHandlerFn,
} from "../../src/control/index.js";
import { contextFor, makeTrail } from "./control-helpers.js";

const summary = (failures: ControlFailure[]) =>
  failures.map((f) => [f.handler, f.kind, f.phase, f.critical, f.event.type, (f.error as Error).message]);

describe("control manager: failing handlers", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a non-critical handler that throws (sync or async) is reported, counted, and counts as PROCEED", async () => {
    const failures: ControlFailure[] = [];
    const control = createControl({ onError: (f) => failures.push(f) });
    const calls: string[] = [];
    control.register(
      () => {
        throw new Error("db down");
      },
      { name: "sync-thrower", priority: 1 },
    );
    control.register(
      async () => {
        throw new TypeError("bad input");
      },
      { name: "async-thrower", priority: 2 },
    );
    control.register(() => void calls.push("after"), { name: "after", priority: 3 });
    const event = makeTrail().stepStarted("a");
    expect(await control.check(event, contextFor(event))).toEqual({ signal: "proceed" });
    expect(calls).toEqual(["after"]);
    expect(summary(failures)).toEqual([
      ["sync-thrower", "threw", "check", false, "step.started", "db down"],
      ["async-thrower", "threw", "check", false, "step.started", "bad input"],
    ]);
    expect(control.stats()).toMatchObject({ handlerErrors: 2, handlerTimeouts: 0, decisions: { proceed: 1 } });
  });

  it("a critical handler that throws fails the check with a reason naming it and its error", async () => {
    const failures: ControlFailure[] = [];
    const control = createControl({ onError: (f) => failures.push(f) });
    const calls: string[] = [];
    control.register(
      async () => {
        throw new Error("policy store unreachable");
      },
      { name: "authz", critical: true, priority: 1 },
    );
    control.register(() => void calls.push("later"), { name: "later", priority: 2 });
    const event = makeTrail().runStarted();
    expect(await control.check(event, contextFor(event))).toEqual({
      signal: "fail",
      reason: 'control handler "authz" threw: Error: policy store unreachable',
      handler: "authz",
    });
    expect(calls).toEqual([]);
    expect(summary(failures)).toEqual([["authz", "threw", "check", true, "run.started", "policy store unreachable"]]);
    expect(control.stats()).toMatchObject({ handlerErrors: 1, decisions: { fail: 1 } });
  });

  it("a critical sync thrower fails too, and a thrown non-Error is described", async () => {
    const control = createControl({ onError: () => {} });
    control.register(
      () => {
        throw "quota exceeded";
      },
      { name: "quota", critical: true },
    );
    const event = makeTrail().stepStarted("a");
    expect(await control.check(event, contextFor(event))).toEqual({
      signal: "fail",
      reason: 'control handler "quota" threw: quota exceeded',
      handler: "quota",
    });
  });

  it("times out a slow non-critical handler: reported, counted, PROCEED, and the next handler still runs", async () => {
    vi.useFakeTimers();
    const failures: ControlFailure[] = [];
    const control = createControl({ onError: (f) => failures.push(f) });
    const calls: string[] = [];
    let settleLate: (value: undefined) => void = () => {};
    control.register(() => new Promise<undefined>((resolve) => (settleLate = resolve)), { name: "slow", timeoutMs: 50 });
    control.register(() => void calls.push("next"), { name: "next" });
    const event = makeTrail().stepStarted("a");
    let decision: unknown;
    void control.check(event, contextFor(event)).then((d) => (decision = d));
    await vi.advanceTimersByTimeAsync(49);
    expect(decision).toBeUndefined();
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(decision).toEqual({ signal: "proceed" });
    expect(calls).toEqual(["next"]);
    expect(failures.map((f) => [f.handler, f.kind, f.critical])).toEqual([["slow", "timed-out", false]]);
    expect(failures[0]!.error).toBeInstanceOf(HandlerTimeoutError);
    expect((failures[0]!.error as Error).message).toBe('control handler "slow" did not answer within 50 ms');
    expect(control.stats()).toMatchObject({ handlerTimeouts: 1, handlerErrors: 0 });
    // The late answer changes nothing.
    settleLate(undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(control.stats()).toMatchObject({ checks: 1, decisions: { proceed: 1, skip: 0, retry: 0, fallback: 0, fail: 0 } });
  });

  it("times out a slow critical handler with FAIL; a late rejection is absorbed", async () => {
    vi.useFakeTimers();
    const failures: ControlFailure[] = [];
    const control = createControl({ onError: (f) => failures.push(f), timeoutMs: 20 });
    let rejectLate: (error: Error) => void = () => {};
    control.register(() => new Promise<undefined>((_, reject) => (rejectLate = reject)), { name: "approval", critical: true });
    const event = makeTrail().runStarted();
    const pending = control.check(event, contextFor(event));
    await vi.advanceTimersByTimeAsync(20);
    expect(await pending).toEqual({
      signal: "fail",
      reason: 'control handler "approval" did not answer within 20 ms',
      handler: "approval",
    });
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      rejectLate(new Error("too late"));
      await vi.advanceTimersByTimeAsync(0);
      vi.useRealTimers();
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off("unhandledRejection", unhandled);
    }
    expect(failures.map((f) => [f.handler, f.kind, f.critical])).toEqual([["approval", "timed-out", true]]);
    expect(control.stats()).toMatchObject({ handlerTimeouts: 1 });
  });

  it("starts no timer for sync handlers, and none when timeoutMs is 0", async () => {
    vi.useFakeTimers();
    const control = createControl({ onError: () => {} });
    control.register(() => undefined, { name: "sync", timeoutMs: 10 });
    control.register(() => Promise.resolve(undefined), { name: "unbounded", timeoutMs: 0 });
    const event = makeTrail().stepStarted("a");
    const pending = control.check(event, contextFor(event));
    expect(vi.getTimerCount()).toBe(0);
    expect(await pending).toEqual({ signal: "proceed" });
    control.register(() => Promise.resolve(undefined), { name: "bounded", timeoutMs: 10, priority: 0 });
    const second = control.check(event, contextFor(event));
    expect(vi.getTimerCount()).toBe(1);
    await second;
    expect(vi.getTimerCount()).toBe(0);
  });

  it("warns through console by default, and an onError hook that throws reaches nobody", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const quiet = createControl();
      quiet.register(
        () => {
          throw new Error("nope");
        },
        { name: "noisy" },
      );
      const event = makeTrail().stepStarted("a");
      expect(await quiet.check(event, contextFor(event))).toEqual({ signal: "proceed" });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toBe(
        '[runtrail] control handler "noisy" threw in check on step.started (run run-1, seq 1); counted as proceed: Error: nope',
      );
    } finally {
      warn.mockRestore();
    }
    const control = createControl({
      onError: () => {
        throw new Error("hook broke");
      },
    });
    control.register(
      () => {
        throw new Error("x");
      },
      { name: "x", critical: true },
    );
    const event = makeTrail().stepStarted("a");
    expect(await control.check(event, contextFor(event))).toMatchObject({ signal: "fail", handler: "x" });
  });
});

describe("control manager: registration", () => {
  it("refuses a duplicate name with an error naming the handler", () => {
    const control = createControl();
    control.register(() => undefined, { name: "retry" });
    const again = () => control.register(() => undefined, { name: "retry", priority: 1 });
    expect(again).toThrow(DuplicateHandlerError);
    expect(again).toThrow('a control handler named "retry" is already registered; unregister it first or choose another name');
    expect(control.list().map((h) => h.name)).toEqual(["retry"]);
  });

  it("validates options and handlers", () => {
    const control = createControl();
    expect(() => control.register(() => undefined, { name: "" })).toThrow(/non-empty `name`/);
    expect(() => control.register(() => undefined, { name: "p", priority: Number.NaN })).toThrow(
      'control handler "p": priority must be a finite number, got NaN',
    );
    expect(() => control.register(() => undefined, { name: "t", timeoutMs: -1 })).toThrow(
      'control handler "t": timeoutMs must be >= 0, got -1',
    );
    expect(() => control.register({} as unknown as ControlHandlerFn, { name: "o" })).toThrow(
      'control handler "o" must be a function or an object with a check method',
    );
    expect(control.stats().handlers).toBe(0);
  });

  it("unregisters by name or by the returned remover, and the name becomes free", async () => {
    const control = createControl();
    const calls: string[] = [];
    control.register(() => void calls.push("a"), { name: "a" });
    const removeB = control.register(() => void calls.push("b"), { name: "b" });
    control.register(() => ({ signal: "skip" }), { name: "c" });
    const event = makeTrail().stepStarted("s");
    expect(await control.check(event, contextFor(event))).toEqual({ signal: "skip", handler: "c" });
    expect(control.unregister("c")).toBe(true);
    expect(control.unregister("c")).toBe(false);
    removeB();
    removeB();
    calls.length = 0;
    expect(await control.check(event, contextFor(event))).toEqual({ signal: "proceed" });
    expect(calls).toEqual(["a"]);
    expect(control.stats().handlers).toBe(1);
    control.register(() => void calls.push("b again"), { name: "b" });
    calls.length = 0;
    await control.check(event, contextFor(event));
    expect(calls).toEqual(["a", "b again"]);
  });

  it("a handler removed while a check is in flight is not asked by that check", async () => {
    const control = createControl();
    const calls: string[] = [];
    control.register(
      async () => {
        calls.push("first");
        control.unregister("second");
      },
      { name: "first", priority: 1 },
    );
    control.register(() => ({ signal: "fail", reason: "should be gone" }), { name: "second", priority: 2 });
    const event = makeTrail().stepStarted("s");
    expect(await control.check(event, contextFor(event))).toEqual({ signal: "proceed" });
    expect(calls).toEqual(["first"]);
  });
});
