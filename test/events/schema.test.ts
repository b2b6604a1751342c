import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  BUILTIN_EVENT_TYPES,
  EventValidationError,
  createBus,
  eventJsonSchema,
  parseEvent,
  validateEvent,
  type EventInput,
  type RuntrailEvent,
} from "runtrail";

const workflow = { name: "etl", version: "2" };
const error = { name: "TypeError", message: "bad row", retryable: false };

/** One valid input of every built-in type, plus a custom one. */
const samples: EventInput[] = [
  { type: "run.started", runId: "r", workflow, input: { rows: 3 } },
  { type: "step.started", runId: "r", workflow, stepId: "a", input: 1 },
  { type: "step.running", runId: "r", workflow, stepId: "a", attempt: 1 },
  { type: "step.failed", runId: "r", workflow, stepId: "a", error, durationMs: 2, metrics: { rows: 1 } },
  { type: "step.retrying", runId: "r", workflow, stepId: "a", error, delayMs: 100, nextAttempt: 2, decision: { handler: "retry" } },
  { type: "step.completed", runId: "r", workflow, stepId: "a", output: 2, durationMs: 3, issues: ["slow"] },
  { type: "step.skipped", runId: "r", workflow, stepId: "b", reason: "when: false" },
  { type: "wave.started", runId: "r", workflow, wave: 0, stepIds: ["a", "b"] },
  { type: "wave.completed", runId: "r", workflow, wave: 0, stepIds: ["a", "b"], durationMs: 5 },
  { type: "condition.evaluated", runId: "r", workflow, conditionId: "b.when", kind: "when", expression: "x > 1", result: false, scope: { x: 1 } },
  { type: "loop.started", runId: "r", workflow, loopId: "each", kind: "foreach", total: 2 },
  { type: "loop.iteration", runId: "r", workflow, loopId: "each", iteration: { index: 0, item: "u1" }, path: [0] },
  { type: "loop.completed", runId: "r", workflow, loopId: "each", iterations: 2, durationMs: 4 },
  { type: "variable.changed", runId: "r", workflow, variable: { name: "count", old: 1, new: 2 } },
  { type: "progress.updated", runId: "r", workflow, progress: { completed: 1, failed: 0, skipped: 1, total: 4, percent: 50 } },
  { type: "tool.called", runId: "r", workflow, stepId: "a", tool: { name: "search", callId: "t1" }, arguments: { q: "x" } },
  { type: "tool.completed", runId: "r", workflow, stepId: "a", tool: { name: "search", callId: "t1" }, result: [], durationMs: 9 },
  { type: "tool.failed", runId: "r", workflow, stepId: "a", tool: { name: "search", callId: "t2" }, error, durationMs: 9 },
  { type: "llm.requested", runId: "r", workflow, llm: { callId: "l1", model: "m" }, prompt: "hi" },
  { type: "llm.responded", runId: "r", workflow, llm: { callId: "l1", model: "m" }, response: "yo", usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 }, durationMs: 7 },
  { type: "llm.failed", runId: "r", workflow, llm: { callId: "l2", model: "m" }, error, durationMs: 7 },
  { type: "x.audit", runId: "r", workflow, data: { who: "me" } },
  { type: "run.suspended", runId: "r", workflow, reason: "approval", by: "step:a", waitingFor: "approval", wait: { stepId: "a", attempt: 1, index: 0, timeoutMs: 1000, deadline: 1_796_300_001_000, onTimeout: "fail", schema: { type: "object" } } },
  { type: "run.resumed", runId: "r", workflow, by: "alice", signal: "approval" },
  { type: "signal.received", runId: "r", workflow, stepId: "a", attempt: 1, signal: "approval", index: 0, payload: { approved: true }, by: "alice" },
  { type: "signal.timeout", runId: "r", workflow, stepId: "a", attempt: 1, signal: "approval", index: 1, timeoutMs: 1000, action: "resume" },
  { type: "run.failed", runId: "r", workflow, error, durationMs: 10 },
];

function emitted(): RuntrailEvent[] {
  const bus = createBus();
  const out: RuntrailEvent[] = [];
  bus.onEvent((e) => out.push(e));
  for (const input of samples) void bus.emit(structuredClone(input));
  for (const type of ["run.completed", "run.cancelled"] as const) {
    void bus.emit({ type, runId: type, workflow, durationMs: 1 });
  }
  return out;
}

describe("event schema and validator", () => {
  it("covers every type of DESIGN.md's table", () => {
    expect([...BUILTIN_EVENT_TYPES].sort()).toEqual(
      [
        "run.started", "run.completed", "run.failed", "run.cancelled", "run.suspended", "run.resumed",
        "signal.received", "signal.timeout",
        "step.started", "step.running", "step.completed", "step.failed", "step.skipped", "step.retrying",
        "wave.started", "wave.completed", "condition.evaluated",
        "loop.started", "loop.iteration", "loop.completed", "variable.changed", "progress.updated",
        "tool.called", "tool.completed", "tool.failed", "llm.requested", "llm.responded", "llm.failed",
      ].sort(),
    );
    const types = new Set(emitted().map((e) => e.type));
    for (const type of BUILTIN_EVENT_TYPES) expect(types, type).toContain(type);
  });

  it("accepts every event the bus makes, also after a JSON round trip", () => {
    for (const event of emitted()) {
      expect(validateEvent(event), event.type).toEqual([]);
      expect(parseEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
    }
  });

  const valid = (): Record<string, unknown> => ({ ...(emitted()[3] as object) }); // a step.failed

  it.each([
    ["a missing runId", (e: Record<string, unknown>) => delete e.runId, "/runId"],
    ["a non-integer seq", (e: Record<string, unknown>) => (e.seq = 1.5), "/seq"],
    ["a seq of 0", (e: Record<string, unknown>) => (e.seq = 0), "/seq"],
    ["an error without message", (e: Record<string, unknown>) => (e.error = { name: "E" }), "/error/message"],
    ["a negative duration", (e: Record<string, unknown>) => (e.durationMs = -1), "/durationMs"],
    ["a non-numeric metric", (e: Record<string, unknown>) => (e.metrics = { rows: "3" }), "/metrics/rows"],
    ["an unknown type", (e: Record<string, unknown>) => (e.type = "step.exploded"), "/type"],
    ["an id that is not runId:seq", (e: Record<string, unknown>) => (e.id = "other:1"), "/id"],
  ])("names the field at fault: %s", (_name, spoil, path) => {
    const event = valid();
    spoil(event);
    const issues = validateEvent(event);
    expect(issues[0]?.path).toBe(path);
    let thrown: unknown;
    try {
      parseEvent(event, "wire:42");
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(EventValidationError);
    expect((thrown as EventValidationError).field).toBe(path);
    expect((thrown as Error).message).toContain(path);
    expect((thrown as Error).message).toContain("wire:42");
  });

  it("rejects what is not an object", () => {
    expect(validateEvent(null)[0]?.message).toMatch(/JSON object/);
    expect(validateEvent([1])[0]?.message).toMatch(/JSON object/);
    expect(validateEvent({})[0]?.path).toBe("/type");
  });

  it("matches the committed JSON Schema (run `npm run schema` after changing an event)", () => {
    const committed = JSON.parse(readFileSync(new URL("../../schema/runtrail-event.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(eventJsonSchema());
    const schema = eventJsonSchema() as { anyOf: { $id: string }[] };
    expect(schema.anyOf.map((s) => s.$id)).toEqual([...BUILTIN_EVENT_TYPES, "x.*"]);
  });
});
