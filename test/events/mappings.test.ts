import { describe, expect, it } from "vitest";
import {
  BUILTIN_EVENT_TYPES,
  INITIAL_GOFLOW_STATE,
  createBus,
  createGoflowMapper,
  createHexdagMapper,
  initialHexdagState,
  reduceGoflowState,
  reduceHexdagState,
  toAimlEvent,
  toAmcsEvent,
  toGoflowEvent,
  toHexdagEvent,
  workflow,
  type EventInput,
  type GoflowExecutionEvent,
  type RuntrailEvent,
} from "runtrail";

/** 2025-11-18T12:00:00.000Z; the test clock ticks 250 ms per emitted event. */
const T0 = Date.UTC(2025, 10, 18, 12, 0, 0, 0);
const at = (n: number): number => T0 + 250 * n;
const iso = (n: number): string => new Date(at(n)).toISOString();

/** Emits `inputs` through a real bus (fresh objects each call) and returns the stamped events. */
async function record(inputs: EventInput[]): Promise<RuntrailEvent[]> {
  let now = T0;
  const bus = createBus({ clock: () => (now += 250) });
  const seen: RuntrailEvent[] = [];
  bus.onEvent((e) => seen.push(e));
  for (const input of inputs) await bus.emit(input);
  await bus.close();
  return seen;
}

const error = { name: "SmtpError", message: "mailbox full" };
/** The builder, under a name the seed-000 block's `workflow` envelope field does not shadow. */
const defineWorkflow = workflow;

describe("seed 000 (AIML): step_transition and condition_check", () => {
  const workflow = { name: "orders" };
  const ids = { runId: "r-000", accountId: "acme", workflow };
  const fetch = { ...ids, stepId: "fetch", stepKey: "fetch-order", tag: "http" };
  const notify = { ...ids, stepId: "notify" };
  const run = (): EventInput[] => [
    { type: "run.started", ...ids, input: { orderId: 7 } },
    { type: "step.started", ...fetch, input: { orderId: 7 } },
    { type: "step.running", ...fetch },
    { type: "step.completed", ...fetch, output: { total: 120 }, durationMs: 42 },
    {
      type: "condition.evaluated",
      ...ids,
      conditionId: "notify.if",
      kind: "if",
      expression: "total > 100",
      result: true,
      scope: { total: 120 },
    },
    { type: "step.started", ...notify, input: { total: 120 } },
    { type: "step.running", ...notify },
    { type: "step.failed", ...notify, error, durationMs: 7 },
    { type: "run.failed", ...ids, error, durationMs: 60 },
  ];

  it("maps one run exactly, with sequenceNumber = seq", async () => {
    const events = await record(run());
    const mapped = events.map(toAimlEvent);
    const base = { type: "step_transition", runId: "r-000", accountId: "acme" } as const;
    const fetchMeta = { stepKey: "fetch-order", stepTag: "http" };
    expect(mapped).toStrictEqual([
      undefined,
      { ...base, stepId: "fetch", status: "entering", timestamp: new Date(at(2)), sequenceNumber: 2, input: { orderId: 7 }, metadata: fetchMeta },
      { ...base, stepId: "fetch", status: "running", timestamp: new Date(at(3)), sequenceNumber: 3, metadata: fetchMeta },
      {
        ...base,
        stepId: "fetch",
        status: "success",
        timestamp: new Date(at(4)),
        sequenceNumber: 4,
        output: { total: 120 },
        metadata: { ...fetchMeta, duration: 42 },
      },
      {
        type: "condition_check",
        runId: "r-000",
        accountId: "acme",
        conditionId: "notify.if",
        conditionType: "if",
        timestamp: new Date(at(5)),
        sequenceNumber: 5,
        expression: "total > 100",
        result: true,
        context: { total: 120 },
      },
      { ...base, stepId: "notify", status: "entering", timestamp: new Date(at(6)), sequenceNumber: 6, input: { total: 120 } },
      { ...base, stepId: "notify", status: "running", timestamp: new Date(at(7)), sequenceNumber: 7 },
      { ...base, stepId: "notify", status: "failed", timestamp: new Date(at(8)), sequenceNumber: 8, metadata: { duration: 7 } },
      undefined,
    ]);
    const sequence = mapped.flatMap((e) => (e ? [e.sequenceNumber] : []));
    expect(sequence).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it("gives undefined for a step event without a stepId", async () => {
    const [event] = await record([{ type: "step.running", runId: "r", workflow }]);
    expect(toAimlEvent(event!)).toBeUndefined();
  });

  it("condition_check carries the input the condition saw (seed 000's `input`), from the engine's scope", async () => {
    const guarded = defineWorkflow("guarded")
      .step("load", (ctx) => (ctx.input as { n: number }).n)
      .step("big", () => "big", { needs: ["load"], when: "input.n > 1" })
      .build();
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((e) => events.push(e));
    await guarded.run({ n: 5 }, { bus, runId: "r-cond" });
    const check = events.map(toAimlEvent).find((e) => e?.type === "condition_check");
    expect(check).toMatchObject({ type: "condition_check", conditionType: "when", expression: "input.n > 1", result: true, input: { n: 5 } });
    expect((check as { context?: { input?: unknown } }).context?.input).toEqual({ n: 5 });
  });
});

describe("seed 001 (goflow): ExecutionEvent with variable snapshots", () => {
  const workflow = { name: "orders", version: "3" };
  const ids = { runId: "r-001", workflow };
  const progress = (completed: number, skipped: number, percent: number) => ({ completed, failed: 0, skipped, total: 4, percent });
  const run = (): EventInput[] => [
    { type: "run.started", ...ids, input: { items: ["a", "b"] } },
    { type: "variable.changed", ...ids, variable: { name: "count", new: 0 } },
    { type: "step.started", ...ids, stepId: "load", tag: "mcp_tool", input: { source: "db" } },
    { type: "step.running", ...ids, stepId: "load", tag: "mcp_tool" },
    { type: "step.completed", ...ids, stepId: "load", tag: "mcp_tool", output: { rows: 2 }, durationMs: 30, metrics: { rows: 2 } },
    { type: "progress.updated", ...ids, progress: progress(1, 0, 25) },
    { type: "condition.evaluated", ...ids, stepId: "check", conditionId: "check.if", kind: "if", expression: "count < 2", result: true, scope: { count: 0 } },
    { type: "loop.started", ...ids, stepId: "each", loopId: "each", kind: "foreach", total: 2 },
    { type: "loop.iteration", ...ids, stepId: "each", loopId: "each", iteration: { index: 0, item: "a" }, path: [0] },
    { type: "variable.changed", ...ids, stepId: "each", variable: { name: "count", old: 0, new: 1 }, path: [0] },
    { type: "loop.iteration", ...ids, stepId: "each", loopId: "each", iteration: { index: 1, item: "b" }, path: [1] },
    { type: "variable.changed", ...ids, stepId: "each", variable: { name: "count", old: 1, new: 2 }, path: [1] },
    { type: "loop.completed", ...ids, stepId: "each", loopId: "each", iterations: 2, durationMs: 20 },
    { type: "step.started", ...ids, stepId: "notify" },
    { type: "progress.updated", ...ids, progress: progress(2, 0, 50) },
    { type: "step.completed", ...ids, stepId: "notify", durationMs: 5 },
    { type: "step.skipped", ...ids, stepId: "cleanup", reason: "when: false" },
    { type: "progress.updated", ...ids, progress: progress(3, 1, 100) },
    { type: "run.completed", ...ids, output: { count: 2 }, durationMs: 90 },
  ];
  const g = (n: number) => ({ timestamp: iso(n), executionId: "r-001" });
  const counts = { totalNodes: 4, failedNodes: 0 };

  it("maps one run exactly; every event carries the snapshot after it", async () => {
    const events = await record(run());
    const mapper = createGoflowMapper();
    const mapped = events.map((e) => mapper.map(e));
    const v0 = { count: 0 };
    expect(mapped).toStrictEqual([
      { ...g(1), type: "ExecutionStarted", status: "running", variables: {}, metadata: { workflow_name: "orders", workflow_version: "3", inputs: { items: ["a", "b"] } } },
      { ...g(2), type: "VariableChanged", variables: v0, metadata: { name: "count", new_value: 0 } },
      { ...g(3), type: "NodeStarted", nodeId: "load", status: "running", variables: v0, metadata: { node_type: "mcp_tool", inputs: { source: "db" } } },
      undefined,
      {
        ...g(5),
        type: "NodeCompleted",
        nodeId: "load",
        status: "completed",
        variables: v0,
        metadata: { node_type: "mcp_tool", outputs: { rows: 2 }, duration_ms: 30, metrics: { rows: 2 } },
      },
      { ...g(6), type: "ProgressUpdate", variables: v0, metadata: { progress: { ...counts, completedNodes: 1, skippedNodes: 0, percentComplete: 25 } } },
      {
        ...g(7),
        type: "ConditionEvaluated",
        nodeId: "check",
        variables: v0,
        metadata: { condition_id: "check.if", kind: "if", expression: "count < 2", result: true, scope: { count: 0 } },
      },
      { ...g(8), type: "LoopStarted", nodeId: "each", variables: v0, metadata: { loop_id: "each", kind: "foreach", total: 2 } },
      { ...g(9), type: "LoopIteration", nodeId: "each", variables: v0, metadata: { loop_id: "each", index: 0, item: "a" } },
      { ...g(10), type: "VariableChanged", nodeId: "each", variables: { count: 1 }, metadata: { name: "count", old_value: 0, new_value: 1 } },
      { ...g(11), type: "LoopIteration", nodeId: "each", variables: { count: 1 }, metadata: { loop_id: "each", index: 1, item: "b" } },
      { ...g(12), type: "VariableChanged", nodeId: "each", variables: { count: 2 }, metadata: { name: "count", old_value: 1, new_value: 2 } },
      { ...g(13), type: "LoopCompleted", nodeId: "each", variables: { count: 2 }, metadata: { loop_id: "each", iterations: 2, duration_ms: 20 } },
      { ...g(14), type: "NodeStarted", nodeId: "notify", status: "running", variables: { count: 2 }, metadata: {} },
      {
        ...g(15),
        type: "ProgressUpdate",
        variables: { count: 2 },
        metadata: { progress: { ...counts, completedNodes: 2, skippedNodes: 0, currentNode: "notify", percentComplete: 50 } },
      },
      { ...g(16), type: "NodeCompleted", nodeId: "notify", status: "completed", variables: { count: 2 }, metadata: { duration_ms: 5 } },
      { ...g(17), type: "NodeSkipped", nodeId: "cleanup", status: "skipped", variables: { count: 2 }, metadata: { reason: "when: false" } },
      { ...g(18), type: "ProgressUpdate", variables: { count: 2 }, metadata: { progress: { ...counts, completedNodes: 3, skippedNodes: 1, percentComplete: 100 } } },
      { ...g(19), type: "ExecutionCompleted", status: "completed", variables: { count: 2 }, metadata: { return_value: { count: 2 }, duration_ms: 90 } },
    ]);
    // Snapshots are copies: point-in-time records, as goflow's were.
    expect(mapped[9]!.variables).not.toBe(mapped[10]!.variables);
    mapped[9]!.variables!["count"] = 99;
    expect(mapped[10]!.variables).toEqual({ count: 1 });
  });

  it("exposes the live snapshot, and forgets a run once it ends", async () => {
    const events = await record(run());
    const mapper = createGoflowMapper();
    const snapshots: Record<string, unknown>[] = [];
    for (const e of events) {
      mapper.map(e);
      snapshots.push(mapper.variables("r-001"));
    }
    expect(snapshots.map((s) => s["count"])).toEqual([
      undefined, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, undefined,
    ]);
    expect(mapper.variables("r-001")).toStrictEqual({});
  });

  it("is a pure reducer under the wrapper", async () => {
    const events = await record(run());
    const state = events.slice(0, 15).reduce(reduceGoflowState, INITIAL_GOFLOW_STATE);
    expect(state).toStrictEqual({ variables: { count: 2 }, currentNode: "notify" });
    expect(INITIAL_GOFLOW_STATE).toStrictEqual({ variables: {} });
    // Without state the pure mapping has no snapshot to give.
    expect(toGoflowEvent(events[1]!)).toStrictEqual({ ...g(2), type: "VariableChanged", metadata: { name: "count", new_value: 0 } });
  });

  it("keeps interleaved runs apart and maps failures and cancellations", async () => {
    const a = { runId: "a", workflow: { name: "w" } };
    const b = { runId: "b", workflow: { name: "w" } };
    const boom = { name: "TimeoutError", message: "took too long", stack: "TimeoutError: took too long", retryable: true };
    const events = await record([
      { type: "run.started", ...a },
      { type: "run.started", ...b },
      { type: "variable.changed", ...a, variable: { name: "x", new: 1 } },
      { type: "variable.changed", ...b, variable: { name: "x", new: 2 } },
      { type: "step.started", ...a, stepId: "s", attempt: 1 },
      { type: "step.failed", ...a, stepId: "s", attempt: 1, error: boom, durationMs: 3, issues: ["slow"] },
      { type: "run.failed", ...a, stepId: "s", error: boom, durationMs: 4 },
      { type: "run.cancelled", ...b, reason: "user", durationMs: 6 },
    ]);
    const mapper = createGoflowMapper();
    const goflowError = { type: "TimeoutError", message: "took too long", stackTrace: "TimeoutError: took too long", recoverable: true };
    const at_ = (n: number, runId: string) => ({ timestamp: iso(n), executionId: runId });
    expect(events.map((e) => mapper.map(e))).toStrictEqual<(GoflowExecutionEvent | undefined)[]>([
      { ...at_(1, "a"), type: "ExecutionStarted", status: "running", variables: {}, metadata: { workflow_name: "w" } },
      { ...at_(2, "b"), type: "ExecutionStarted", status: "running", variables: {}, metadata: { workflow_name: "w" } },
      { ...at_(3, "a"), type: "VariableChanged", variables: { x: 1 }, metadata: { name: "x", new_value: 1 } },
      { ...at_(4, "b"), type: "VariableChanged", variables: { x: 2 }, metadata: { name: "x", new_value: 2 } },
      { ...at_(5, "a"), type: "NodeStarted", nodeId: "s", status: "running", variables: { x: 1 }, metadata: { attempt: 1 } },
      {
        ...at_(6, "a"),
        type: "NodeFailed",
        nodeId: "s",
        status: "failed",
        variables: { x: 1 },
        error: goflowError,
        metadata: { attempt: 1, error_type: "TimeoutError", duration_ms: 3, issues: ["slow"] },
      },
      {
        ...at_(7, "a"),
        nodeId: "s",
        type: "ExecutionFailed",
        status: "failed",
        variables: { x: 1 },
        error: goflowError,
        metadata: { error_type: "TimeoutError", node_id: "s", duration_ms: 4 },
      },
      { ...at_(8, "b"), type: "ExecutionCancelled", status: "cancelled", variables: { x: 2 }, metadata: { reason: "user", duration_ms: 6 } },
    ]);
    expect(mapper.variables("a")).toStrictEqual({});
    expect(mapper.variables("b")).toStrictEqual({});
  });
});

describe("seed 001: a failed run names the node it failed at", () => {
  it("ExecutionFailed carries NodeID and metadata.node_id from the engine's run.failed", async () => {
    const bus = createBus();
    const seen: RuntrailEvent[] = [];
    bus.onEvent((e) => seen.push(e));
    const wf = workflow("w")
      .step("load", () => 1)
      .step("send", () => {
        throw new Error("mailbox full");
      }, { needs: ["load"] })
      .build();
    await expect(wf.run(undefined, { bus })).rejects.toThrow(/mailbox full/);
    const failed = seen.find((e) => e.type === "run.failed")!;
    expect(failed).toMatchObject({ failedStep: { stepId: "send", attempt: 1 } });
    expect(toGoflowEvent(failed)).toMatchObject({ type: "ExecutionFailed", nodeId: "send", metadata: { node_id: "send", error_type: "StepFailedError" } });
  });
});

describe("seed 003 (AMCS): start/end/fail with duration, metrics and issues", () => {
  const ids = { runId: "r-003", workflow: { name: "amcs" } };
  const run = (): EventInput[] => [
    { type: "run.started", ...ids },
    { type: "step.started", ...ids, stepId: "PLAN" },
    { type: "step.completed", ...ids, stepId: "PLAN", durationMs: 12.9, metrics: { sections: 4 } },
    { type: "step.started", ...ids, stepId: "LYRICS" },
    { type: "step.running", ...ids, stepId: "LYRICS" },
    {
      type: "step.completed",
      ...ids,
      stepId: "LYRICS",
      output: { lines: 42 },
      durationMs: 1234.5,
      metrics: { lines_generated: 42, citations: 5 },
      issues: ["Warning: short lyrics"],
    },
    { type: "step.started", ...ids, stepId: "VALIDATE" },
    {
      type: "step.failed",
      ...ids,
      stepId: "VALIDATE",
      error: { name: "ValueError", message: "Prompt exceeds length limit" },
      durationMs: 88,
      metrics: { hook_density: 0.62 },
      issues: ["Low hook density: 0.62"],
    },
    { type: "run.failed", ...ids, error: { name: "ValueError", message: "Prompt exceeds length limit" }, durationMs: 1400 },
  ];

  it("maps one run exactly, timestamps as Python's isoformat wrote them", async () => {
    const events = await record(run());
    const mapped = events.map(toAmcsEvent);
    const r = { run_id: "r-003" };
    expect(mapped).toStrictEqual([
      undefined,
      { ts: "2025-11-18T12:00:00.500000", ...r, node: "PLAN", phase: "start", duration_ms: 0, metrics: {}, issues: [] },
      { ts: "2025-11-18T12:00:00.750000", ...r, node: "PLAN", phase: "end", duration_ms: 12, metrics: { sections: 4 }, issues: [] },
      { ts: "2025-11-18T12:00:01", ...r, node: "LYRICS", phase: "start", duration_ms: 0, metrics: {}, issues: [] },
      undefined,
      {
        ts: "2025-11-18T12:00:01.500000",
        ...r,
        node: "LYRICS",
        phase: "end",
        duration_ms: 1234,
        metrics: { lines_generated: 42, citations: 5 },
        issues: ["Warning: short lyrics"],
      },
      { ts: "2025-11-18T12:00:01.750000", ...r, node: "VALIDATE", phase: "start", duration_ms: 0, metrics: {}, issues: [] },
      {
        ts: "2025-11-18T12:00:02",
        ...r,
        node: "VALIDATE",
        phase: "fail",
        duration_ms: 88,
        metrics: { hook_density: 0.62 },
        issues: ["Low hook density: 0.62", "Prompt exceeds length limit"],
      },
      undefined,
    ]);
    // AMCS's log record carried trace_id and span_id: filled when the event has them.
    const [traced] = await record([{ type: "step.started", ...ids, stepId: "PLAN", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" }]);
    expect(toAmcsEvent(traced!)).toMatchObject({ node: "PLAN", phase: "start", trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "00f067aa0ba902b7" });
    // The mapped metrics and issues are copies: appending the error never touches the event.
    const failed = events[7] as Extract<RuntrailEvent, { type: "step.failed" }>;
    expect(failed.issues).toEqual(["Low hook density: 0.62"]);
    expect(mapped[5]!.metrics).not.toBe((events[5] as Extract<RuntrailEvent, { type: "step.completed" }>).metrics);
  });
});

describe("seed 004 (hexDAG): node, wave, pipeline, tool and LLM events", () => {
  const ids = { runId: "r-004", workflow: { name: "research" } };
  const search = { ...ids, stepId: "search" };
  const summarize = { ...ids, stepId: "summarize" };
  const llm = { callId: "l1", model: "gpt-x" };
  const tool = { name: "web_search", callId: "t1" };
  const answer = "Runtrail records runs.";
  const run = (): EventInput[] => [
    { type: "run.started", ...ids, input: { topic: "runtrail" } },
    { type: "wave.started", ...ids, wave: 0, stepIds: ["search", "fetch"] },
    { type: "step.started", ...search },
    { type: "step.started", ...ids, stepId: "fetch" },
    { type: "tool.called", ...search, tool, arguments: { q: "runtrail" } },
    { type: "tool.completed", ...search, tool, result: [{ url: "https://example.com" }], durationMs: 80 },
    { type: "step.completed", ...search, output: { hits: 1 }, durationMs: 95 },
    { type: "step.completed", ...ids, stepId: "fetch", output: "<html>", durationMs: 40 },
    { type: "wave.completed", ...ids, wave: 0, stepIds: ["search", "fetch"], durationMs: 100 },
    { type: "wave.started", ...ids, wave: 1, stepIds: ["summarize"] },
    { type: "step.started", ...summarize },
    {
      type: "llm.requested",
      ...summarize,
      llm,
      prompt: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Summarize the hits." },
      ],
    },
    { type: "llm.responded", ...summarize, llm, response: answer, usage: { totalTokens: 30 }, durationMs: 300 },
    { type: "step.completed", ...summarize, output: answer, durationMs: 310 },
    { type: "wave.completed", ...ids, wave: 1, stepIds: ["summarize"], durationMs: 320 },
    { type: "run.completed", ...ids, output: answer, durationMs: 450 },
  ];
  const plan = { totalWaves: 2, totalNodes: 3, dependencies: { summarize: ["search", "fetch"] } };

  it("maps one run exactly, with waves counted from 1 and the plan's totals", async () => {
    const events = await record(run());
    const asked: string[] = [];
    const mapper = createHexdagMapper({
      planOf: (e) => {
        asked.push(`${e.runId}:${e.type}`);
        return e.workflow.name === "research" ? plan : undefined;
      },
    });
    const t = [
      "",
      "2025-11-18T12:00:00.250000",
      "2025-11-18T12:00:00.500000",
      "2025-11-18T12:00:00.750000",
      "2025-11-18T12:00:01",
      "2025-11-18T12:00:01.250000",
      "2025-11-18T12:00:01.500000",
      "2025-11-18T12:00:01.750000",
      "2025-11-18T12:00:02",
      "2025-11-18T12:00:02.250000",
      "2025-11-18T12:00:02.500000",
      "2025-11-18T12:00:02.750000",
      "2025-11-18T12:00:03",
      "2025-11-18T12:00:03.250000",
      "2025-11-18T12:00:03.500000",
      "2025-11-18T12:00:03.750000",
      "2025-11-18T12:00:04",
    ];
    expect(events.map((e) => mapper.map(e))).toStrictEqual([
      { kind: "PipelineStarted", timestamp: t[1], name: "research", total_waves: 2, total_nodes: 3 },
      { kind: "WaveStarted", timestamp: t[2], wave_index: 1, nodes: ["search", "fetch"] },
      { kind: "NodeStarted", timestamp: t[3], name: "search", wave_index: 1, dependencies: [] },
      { kind: "NodeStarted", timestamp: t[4], name: "fetch", wave_index: 1, dependencies: [] },
      { kind: "ToolCalled", timestamp: t[5], node_name: "search", tool_name: "web_search", params: { q: "runtrail" } },
      {
        kind: "ToolCompleted",
        timestamp: t[6],
        node_name: "search",
        tool_name: "web_search",
        result: [{ url: "https://example.com" }],
        duration_ms: 80,
      },
      { kind: "NodeCompleted", timestamp: t[7], name: "search", wave_index: 1, result: { hits: 1 }, duration_ms: 95 },
      { kind: "NodeCompleted", timestamp: t[8], name: "fetch", wave_index: 1, result: "<html>", duration_ms: 40 },
      { kind: "WaveCompleted", timestamp: t[9], wave_index: 1, duration_ms: 100 },
      { kind: "WaveStarted", timestamp: t[10], wave_index: 2, nodes: ["summarize"] },
      { kind: "NodeStarted", timestamp: t[11], name: "summarize", wave_index: 2, dependencies: ["search", "fetch"] },
      {
        kind: "LLMPromptSent",
        timestamp: t[12],
        node_name: "summarize",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Summarize the hits." },
        ],
      },
      { kind: "LLMResponseReceived", timestamp: t[13], node_name: "summarize", response: answer, duration_ms: 300 },
      { kind: "NodeCompleted", timestamp: t[14], name: "summarize", wave_index: 2, result: answer, duration_ms: 310 },
      { kind: "WaveCompleted", timestamp: t[15], wave_index: 2, duration_ms: 320 },
      {
        kind: "PipelineCompleted",
        timestamp: t[16],
        name: "research",
        duration_ms: 450,
        node_results: { search: { hits: 1 }, fetch: "<html>", summarize: answer },
      },
    ]);
    expect(asked).toEqual(["r-004:run.started"]);
    // The same run folded by the pure reducer gives the state the last event was mapped with.
    expect(events.reduce(reduceHexdagState, initialHexdagState(plan))).toStrictEqual({
      plan,
      waveOf: { search: 1, fetch: 1, summarize: 2 },
      nodeResults: { search: { hits: 1 }, fetch: "<html>", summarize: answer },
    });
  });

  it("says null where neither a plan nor the events tell, and drops what hexDAG had no class for", async () => {
    const ids2 = { runId: "r-004b", workflow: { name: "adhoc" } };
    const x = { ...ids2, stepId: "x" };
    const boom = { name: "KeyError", message: "'url'" };
    const events = await record([
      { type: "run.started", ...ids2, totalSteps: 1 },
      { type: "step.started", ...x },
      { type: "tool.called", ...x, tool: { name: "fetch", callId: "t9" }, arguments: "https://example.com" },
      { type: "tool.failed", ...x, tool: { name: "fetch", callId: "t9" }, error: boom, durationMs: 2 },
      { type: "llm.requested", ...x, llm, prompt: "hi" },
      { type: "llm.responded", ...x, llm, response: { text: "yo" }, durationMs: 9 },
      { type: "step.failed", ...x, error: boom, durationMs: 15 },
      { type: "run.failed", ...ids2, error: boom, durationMs: 20 },
    ]);
    const mapper = createHexdagMapper();
    expect(events.map((e) => mapper.map(e))).toStrictEqual([
      { kind: "PipelineStarted", timestamp: "2025-11-18T12:00:00.250000", name: "adhoc", total_waves: null, total_nodes: 1 },
      { kind: "NodeStarted", timestamp: "2025-11-18T12:00:00.500000", name: "x", wave_index: null, dependencies: [] },
      { kind: "ToolCalled", timestamp: "2025-11-18T12:00:00.750000", node_name: "x", tool_name: "fetch", params: { value: "https://example.com" } },
      undefined,
      { kind: "LLMPromptSent", timestamp: "2025-11-18T12:00:01.250000", node_name: "x", messages: [{ role: "user", content: "hi" }] },
      { kind: "LLMResponseReceived", timestamp: "2025-11-18T12:00:01.500000", node_name: "x", response: '{"text":"yo"}', duration_ms: 9 },
      { kind: "NodeFailed", timestamp: "2025-11-18T12:00:01.750000", name: "x", wave_index: null, error: { type: "KeyError", message: "'url'" } },
      undefined,
    ]);
    // The pure mapping without state knows no wave either.
    expect(toHexdagEvent(events[1]!)).toStrictEqual(mapper.map(events[1]!));
  });
});

describe("what each seed has no shape for", () => {
  const workflow = { name: "all" };
  const err = { name: "Error", message: "x" };
  const tool = { name: "t", callId: "c" };
  const llm = { callId: "l", model: "m" };
  /** One event of every built-in type (and a custom one), each in its own run. */
  const samples = (): EventInput[] =>
    [
      { type: "run.started" },
      { type: "run.completed", durationMs: 1 },
      { type: "run.failed", error: err, durationMs: 1 },
      { type: "run.cancelled", durationMs: 1 },
      { type: "run.suspended" },
      { type: "run.resumed" },
      { type: "signal.received", signal: "go", index: 0 },
      { type: "signal.timeout", signal: "go", index: 0, timeoutMs: 1, action: "fail" },
      { type: "step.started" },
      { type: "step.running" },
      { type: "step.completed", durationMs: 1 },
      { type: "step.failed", error: err, durationMs: 1 },
      { type: "step.skipped", reason: "r" },
      { type: "step.retrying", error: err, delayMs: 1, nextAttempt: 2 },
      { type: "wave.started", wave: 0, stepIds: ["s"] },
      { type: "wave.completed", wave: 0, stepIds: ["s"], durationMs: 1 },
      { type: "condition.evaluated", conditionId: "c", kind: "while", expression: "e", result: false },
      { type: "loop.started", loopId: "l", kind: "while" },
      { type: "loop.iteration", loopId: "l", iteration: { index: 0 } },
      { type: "loop.completed", loopId: "l", iterations: 1, durationMs: 1 },
      { type: "variable.changed", variable: { name: "v", new: 1 } },
      { type: "progress.updated", progress: { completed: 0, failed: 0, skipped: 0, total: 1, percent: 0 } },
      { type: "tool.called", tool, arguments: {} },
      { type: "tool.completed", tool, durationMs: 1 },
      { type: "tool.failed", tool, error: err, durationMs: 1 },
      { type: "llm.requested", llm, prompt: "p" },
      { type: "llm.responded", llm, response: "r", durationMs: 1 },
      { type: "llm.failed", llm, error: err, durationMs: 1 },
      { type: "x.audit", data: 1 },
    ].map((e, i) => ({ ...e, runId: `r${i}`, workflow, stepId: "s" }) as EventInput);

  /** [Runtrail type, seed type] for every event the mapping maps; the rest give undefined. */
  function table(map: (e: RuntrailEvent) => { type?: string; kind?: string; phase?: string; status?: string } | undefined, events: RuntrailEvent[]) {
    return events.flatMap((e) => {
      const m = map(e);
      return m === undefined ? [] : [[e.type, m.kind ?? m.status ?? m.phase ?? m.type]];
    });
  }

  it("covers every built-in type", async () => {
    const events = await record(samples());
    expect(events.map((e) => e.type).filter((t) => !t.startsWith("x."))).toEqual([...BUILTIN_EVENT_TYPES]);
  });

  it("seed 000", async () => {
    expect(table(toAimlEvent, await record(samples()))).toEqual([
      ["step.started", "entering"],
      ["step.running", "running"],
      ["step.completed", "success"],
      ["step.failed", "failed"],
      ["condition.evaluated", "condition_check"],
    ]);
  });

  it("seed 001", async () => {
    const events = await record(samples());
    expect(table((e) => toGoflowEvent(e), events).map(([from]) => from)).toEqual([
      "run.started",
      "run.completed",
      "run.failed",
      "run.cancelled",
      "step.started",
      "step.completed",
      "step.failed",
      "step.skipped",
      "condition.evaluated",
      "loop.started",
      "loop.iteration",
      "loop.completed",
      "variable.changed",
      "progress.updated",
    ]);
    expect(events.flatMap((e) => toGoflowEvent(e)?.type ?? [])).toEqual([
      "ExecutionStarted",
      "ExecutionCompleted",
      "ExecutionFailed",
      "ExecutionCancelled",
      "NodeStarted",
      "NodeCompleted",
      "NodeFailed",
      "NodeSkipped",
      "ConditionEvaluated",
      "LoopStarted",
      "LoopIteration",
      "LoopCompleted",
      "VariableChanged",
      "ProgressUpdate",
    ]);
  });

  it("seed 003", async () => {
    expect(table(toAmcsEvent, await record(samples()))).toEqual([
      ["step.started", "start"],
      ["step.completed", "end"],
      ["step.failed", "fail"],
    ]);
  });

  it("seed 004", async () => {
    expect(table((e) => toHexdagEvent(e), await record(samples()))).toEqual([
      ["run.started", "PipelineStarted"],
      ["run.completed", "PipelineCompleted"],
      ["step.started", "NodeStarted"],
      ["step.completed", "NodeCompleted"],
      ["step.failed", "NodeFailed"],
      ["wave.started", "WaveStarted"],
      ["wave.completed", "WaveCompleted"],
      ["tool.called", "ToolCalled"],
      ["tool.completed", "ToolCompleted"],
      ["llm.requested", "LLMPromptSent"],
      ["llm.responded", "LLMResponseReceived"],
    ]);
  });

  it("step, tool and llm events without a stepId map to nothing where the seed needs a node", async () => {
    const events = (await record(samples().map(({ stepId: _, ...e }) => e as EventInput))).filter(
      (e) => e.type.startsWith("step.") || e.type.startsWith("tool.") || e.type.startsWith("llm."),
    );
    expect(events.map(toAimlEvent).filter(Boolean)).toEqual([]);
    expect(events.map(toAmcsEvent).filter(Boolean)).toEqual([]);
    expect(events.map((e) => toHexdagEvent(e)).filter(Boolean)).toEqual([]);
  });
});
