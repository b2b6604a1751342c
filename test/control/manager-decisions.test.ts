import { describe, expect, it, vi } from "vitest";
import type { RuntrailEvent } from "runtrail";
import { createControl, type ControlDecision, type ControlHandlerFn } from "../../src/control/index.js";
import { contextFor, makeTrail } from "./control-helpers.js";

describe("control manager: decisions", () => {
  it("proceeds with no handlers, and the default PROCEED names no handler", async () => {
    const control = createControl();
    const event = makeTrail().runStarted();
    const decision = await control.check(event, contextFor(event));
    expect(decision).toEqual({ signal: "proceed" });
    expect("handler" in decision).toBe(false);
  });

  it("vetoes: the first non-PROCEED answer wins and later handlers are not called", async () => {
    const control = createControl();
    const calls: string[] = [];
    control.register(() => void calls.push("first"), { name: "first", priority: 1 });
    control.register(
      () => {
        calls.push("vetoer");
        return { signal: "skip", reason: "feature flag off", value: { cached: true } };
      },
      { name: "vetoer", priority: 2 },
    );
    control.register(
      () => {
        calls.push("later");
        return { signal: "fail", reason: "never asked" };
      },
      { name: "later", priority: 3 },
    );
    const event = makeTrail().stepStarted("a");
    expect(await control.check(event, contextFor(event))).toEqual({
      signal: "skip",
      reason: "feature flag off",
      value: { cached: true },
      handler: "vetoer",
    });
    expect(calls).toEqual(["first", "vetoer"]);
    expect(control.stats().decisions).toEqual({ proceed: 0, skip: 1, retry: 0, fallback: 0, fail: 0, suspend: 0 });
  });

  it("needs every approver: all proceed -> proceed; one FAIL among them -> fail, named", async () => {
    const control = createControl();
    const approvals = new Map<string, boolean>([
      ["budget", true],
      ["security", true],
      ["owner", true],
    ]);
    const calls: string[] = [];
    for (const [name] of approvals) {
      control.register(
        () => {
          calls.push(name);
          return approvals.get(name) ? { signal: "proceed" } : { signal: "fail", reason: `${name} said no` };
        },
        { name, eventTypes: ["run.started"] },
      );
    }
    const trail = makeTrail();
    const event = trail.runStarted();
    expect(await control.check(event, contextFor(event))).toEqual({ signal: "proceed" });
    expect(calls).toEqual(["budget", "security", "owner"]);

    approvals.set("security", false);
    calls.length = 0;
    expect(await control.check(event, contextFor(event))).toEqual({
      signal: "fail",
      reason: "security said no",
      handler: "security",
    });
    expect(calls).toEqual(["budget", "security"]);
  });

  it("keeps the smallest timeoutMs among proceeding handlers, naming the handler that set it", async () => {
    const control = createControl();
    control.register(() => ({ signal: "proceed", timeoutMs: 5_000 }), { name: "slo", priority: 1 });
    control.register(() => ({ signal: "proceed", timeoutMs: 800 }), { name: "tight", priority: 2 });
    control.register(() => ({ signal: "proceed" }), { name: "plain", priority: 3 });
    control.register(async () => ({ signal: "proceed", timeoutMs: 800 }), { name: "tight-too", priority: 4 });
    control.register(() => ({ signal: "proceed", timeoutMs: 2_000 }), { name: "loose", priority: 5 });
    const event = makeTrail().stepStarted("a");
    expect(await control.check(event, contextFor(event))).toEqual({ signal: "proceed", timeoutMs: 800, handler: "tight" });
  });

  it("lets a veto override timeouts gathered before it", async () => {
    const control = createControl();
    control.register(() => ({ signal: "proceed", timeoutMs: 100 }), { name: "bound", priority: 1 });
    control.register(() => ({ signal: "fallback", value: 42, reason: "cached" }), { name: "cache", priority: 2 });
    const event = makeTrail().stepStarted("a");
    expect(await control.check(event, contextFor(event))).toEqual({
      signal: "fallback",
      value: 42,
      reason: "cached",
      handler: "cache",
    });
  });

  it("treats sync and async handlers alike, in order, and passes the event and context through", async () => {
    const control = createControl();
    const seen: [string, string, string, number][] = [];
    const note =
      (name: string): ControlHandlerFn =>
      (event, ctx) =>
        void seen.push([name, event.type, ctx.point, ctx.attempt]);
    control.register(note("sync-1"), { name: "sync-1", priority: 1 });
    control.register(async (e, c) => note("async-2")(e, c), { name: "async-2", priority: 2 });
    control.register(note("sync-3"), { name: "sync-3", priority: 3 });
    control.register(
      (e, c) =>
        new Promise<ControlDecision | undefined>((resolve) =>
          setTimeout(() => {
            void note("slow-4")(e, c);
            resolve({ signal: "retry", delayMs: 250, reason: "transient" });
          }, 5),
        ),
      { name: "slow-4", priority: 4 },
    );
    control.register(note("never-5"), { name: "never-5", priority: 5 });
    const event = makeTrail().stepFailed("a", 2);
    const decision = await control.check(event, contextFor(event));
    expect(decision).toEqual({ signal: "retry", delayMs: 250, reason: "transient", handler: "slow-4" });
    expect(seen).toEqual([
      ["sync-1", "step.failed", "after-step-failure", 2],
      ["async-2", "step.failed", "after-step-failure", 2],
      ["sync-3", "step.failed", "after-step-failure", 2],
      ["slow-4", "step.failed", "after-step-failure", 2],
    ]);
  });

  it("accepts objects with a check method", async () => {
    const control = createControl();
    const limiter = {
      count: 0,
      check(): ControlDecision | undefined {
        this.count++;
        return this.count > 1 ? { signal: "skip", reason: `call ${this.count}` } : undefined;
      },
    };
    control.register(limiter, { name: "object" });
    const event = makeTrail().stepStarted("a");
    expect(await control.check(event, contextFor(event))).toEqual({ signal: "proceed" });
    expect(await control.check(event, contextFor(event))).toEqual({ signal: "skip", reason: "call 2", handler: "object" });
  });

  it("reports every named decision to onDecision, never the default PROCEED", async () => {
    const audit: [string, string | undefined, string, number][] = [];
    const control = createControl({
      onDecision: (decision, event) => audit.push([decision.signal, decision.handler, event.type, event.seq]),
    });
    control.register((event) => (event.type === "step.failed" ? { signal: "retry", delayMs: 10 } : undefined), {
      name: "retry-all",
    });
    control.register(() => ({ signal: "proceed", timeoutMs: 50 }), { name: "bound", eventTypes: ["step.started"] });
    const trail = makeTrail();
    const events: RuntrailEvent[] = [trail.runStarted(), trail.stepStarted("a"), trail.stepFailed("a")];
    for (const event of events) await control.check(event, contextFor(event));
    expect(audit).toEqual([
      ["proceed", "bound", "step.started", 2],
      ["retry", "retry-all", "step.failed", 3],
    ]);
    expect(control.stats()).toMatchObject({ checks: 3, decisions: { proceed: 2, skip: 0, retry: 1, fallback: 0, fail: 0, suspend: 0 } });
  });

  it("reports invalid answers and ignores them, or fails when the handler is critical", async () => {
    const onError = vi.fn();
    const control = createControl({ onError });
    control.register((() => ({ signal: "maybe" })) as unknown as ControlHandlerFn, { name: "confused" });
    control.register((() => ({ signal: "retry" })) as unknown as ControlHandlerFn, { name: "no-delay", priority: 200 });
    const event = makeTrail().stepStarted("a");
    expect(await control.check(event, contextFor(event))).toEqual({ signal: "proceed" });
    expect(onError.mock.calls.map(([f]) => [f.handler, f.kind, f.critical, (f.error as Error).message])).toEqual([
      ["confused", "invalid-answer", false, 'control handler "confused" returned an invalid answer: unknown signal "maybe"'],
      ["no-delay", "invalid-answer", false, 'control handler "no-delay" returned an invalid answer: retry.delayMs must be a number >= 0, got undefined'],
    ]);
    control.register((() => 7) as unknown as ControlHandlerFn, { name: "strict", critical: true, priority: 0 });
    expect(await control.check(event, contextFor(event))).toEqual({
      signal: "fail",
      reason: 'control handler "strict" returned an invalid answer: expected an answer object or nothing, got number',
      handler: "strict",
    });
    expect(control.stats().handlerErrors).toBe(3);
  });
});
