import { describe, expect, expectTypeOf, it } from "vitest";
import { compileFilter, createBus, type EventFilter, type EventOf, type RuntrailEvent } from "runtrail";

const base = { id: "r:1", seq: 1, ts: 0, accountId: "acme", workflow: { name: "etl" }, runId: "r" } as const;
const started = { ...base, type: "step.started", stepId: "load" } as RuntrailEvent;
const completed = { ...base, type: "step.completed", stepId: "save", durationMs: 1 } as RuntrailEvent;
const runStarted = { ...base, type: "run.started" } as RuntrailEvent;
const custom = { ...base, type: "x.audit.done", data: {} } as unknown as RuntrailEvent;

const matches = (filter: EventFilter | undefined, event: RuntrailEvent): boolean => {
  const test = compileFilter(filter);
  return test === undefined || test(event);
};

describe("filters", () => {
  it("an empty filter compiles to nothing and matches everything", () => {
    expect(compileFilter(undefined)).toBeUndefined();
    expect(compileFilter({})).toBeUndefined();
    expect(compileFilter({ type: "*" })).toBeUndefined();
  });

  // goflow's EventFilter truth table (seed 001), with Runtrail's field names.
  it.each([
    ["empty filter", {}, started, true],
    ["type match", { type: "step.started" }, started, true],
    ["type mismatch", { type: "step.completed" }, started, false],
    ["step match", { stepId: "load" }, started, true],
    ["step mismatch", { stepId: "save" }, started, false],
    ["type and step both match", { type: "step.started", stepId: "load" }, started, true],
    ["type matches, step does not", { type: "step.started", stepId: "save" }, started, false],
    ["a step filter rejects events with no step", { stepId: "load" }, runStarted, false],
  ] as const)("%s", (_name, filter, event, expected) => {
    expect(matches(filter, event)).toBe(expected);
  });

  it("globs select families and custom events; lists OR within a field", () => {
    expect(matches({ type: "step.*" }, started)).toBe(true);
    expect(matches({ type: "step.*" }, runStarted)).toBe(false);
    expect(matches({ type: "x.*" }, custom)).toBe(true);
    expect(matches({ type: "x.*.done" }, custom)).toBe(true);
    expect(matches({ type: "x.*.fail" }, custom)).toBe(false);
    expect(matches({ type: ["run.*", "step.completed"] }, completed)).toBe(true);
    expect(matches({ type: ["run.*", "step.completed"] }, started)).toBe(false);
    expect(matches({ stepId: ["load", "save"] }, completed)).toBe(true);
  });

  it("fields combine with AND: run, account, workflow, predicate", () => {
    expect(matches({ runId: "r", accountId: "acme", workflow: "etl" }, started)).toBe(true);
    expect(matches({ runId: "r", accountId: "other" }, started)).toBe(false);
    expect(matches({ workflow: "other" }, started)).toBe(false);
    expect(matches({ type: "step.*", where: (e) => e.stepId === "save" }, completed)).toBe(true);
    expect(matches({ type: "run.*", where: () => true }, completed)).toBe(false);
  });

  it("runs a predicate only on events that passed the other fields", () => {
    let calls = 0;
    const test = compileFilter({ type: "run.*", where: () => ++calls > 0 });
    test?.(started);
    test?.(runStarted);
    expect(calls).toBe(1);
  });

  it("narrows what a filtered listener receives", () => {
    const bus = createBus();
    bus.onEvent((e) => expectTypeOf(e).toEqualTypeOf<EventOf<"step.failed">>(), { type: "step.failed" });
    type StepType = "step.started" | "step.running" | "step.completed" | "step.failed" | "step.skipped" | "step.retrying";
    bus.onEvent((e) => expectTypeOf(e.type).toEqualTypeOf<StepType>(), { type: "step.*" });
    bus.onEvent((e) => expectTypeOf(e).toEqualTypeOf<RuntrailEvent>());
  });
});

describe("typePatternProblem: whether a pattern from outside selects any event type", () => {
  it("accepts built-in types, globs over them and custom types", async () => {
    const { typePatternProblem } = await import("../../src/bus/index.js");
    for (const ok of ["*", "step.*", "step.completed", "*.failed", "run.*", "x.*", "x.audit", "x*", "*audit", "s*p.comp*"]) expect(typePatternProblem(ok), ok).toBeUndefined();
  });

  it("names what is wrong with one that selects nothing", async () => {
    const { typePatternProblem } = await import("../../src/bus/index.js");
    expect(typePatternProblem("steps.*")).toMatch(/^matches no event type \(built-in types are run\.\*, signal\.\*, step\.\*/);
    expect(typePatternProblem("step.complete")).toMatch(/^matches no event type/);
    expect(typePatternProblem("x.")).toMatch(/^matches no event type/);
    expect(typePatternProblem("xy*")).toMatch(/^matches no event type/);
    expect(typePatternProblem("")).toBe("is empty");
    expect(typePatternProblem("step. *")).toBe("contains whitespace or a control character");
  });
});
