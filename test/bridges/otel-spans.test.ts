import { SpanStatusCode } from "@opentelemetry/api";
import { createBus, createControl, workflow, type RuntrailEvent } from "runtrail";
import { createOtelExporter } from "runtrail/otel";
import { describe, expect, it } from "vitest";
import { demoWorkflow, memoryProvider, SpanTree } from "./otel-fixtures.js";

async function traced(captureContent = false) {
  const { provider, memory } = memoryProvider();
  const bus = createBus();
  const events: RuntrailEvent[] = [];
  bus.onEvent((event) => events.push(event));
  const exporter = createOtelExporter({ bus, tracerProvider: provider, captureContent });
  const output = await demoWorkflow().run({ items: [1, 2] }, { bus, accountId: "acme" });
  await exporter.close();
  return { output, events, tree: new SpanTree(memory.getFinishedSpans()), exporter };
}

describe("OpenTelemetry exporter: the span tree", () => {
  it("makes one trace per run, steps under waves, attempts under steps, with runtrail.* attributes", async () => {
    const { tree, events, exporter } = await traced();
    const run = tree.one("run demo");
    const runId = events[0]!.runId;
    expect(new Set(tree.spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    expect(run.parentSpanContext).toBeUndefined();
    expect(run.attributes).toMatchObject({
      "runtrail.account_id": "acme",
      "runtrail.workflow.name": "demo",
      "runtrail.workflow.version": "1",
      "runtrail.run_id": runId,
      "runtrail.seq": 1,
      "runtrail.run.status": "completed",
      "runtrail.seq.last": events.filter((e) => e.runId === runId).length,
      "runtrail.progress.percent": 100,
    });
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    expect(tree.ancestry(tree.one("step fetch attempt 1"))).toEqual(["step fetch", "wave 0", "run demo"]);
    expect(tree.ancestry(tree.one("step ask attempt 1"))).toEqual(["step ask", "wave 1", "run demo"]);
    expect(tree.one("wave 1").attributes["runtrail.wave.step_ids"]).toEqual(["ask", "sub", "audit"]);
    // Every span links back to its event: run id and seq.
    for (const span of tree.spans.filter((s) => s.attributes["runtrail.run_id"] === runId)) {
      const seq = span.attributes["runtrail.seq"] as number;
      expect(events.find((e) => e.runId === runId && e.seq === seq)?.id).toBe(span.attributes["runtrail.event_id"]);
    }
    expect(exporter.stats()).toMatchObject({ events: events.length, dropped: 0, failures: 0, openRuns: 0 });
  });

  it("shows a retried step as two attempts: the failed one ERROR with its exception, the retry as a span event", async () => {
    const { tree } = await traced();
    const step = tree.one("step fetch");
    const [first, second] = [tree.one("step fetch attempt 1"), tree.one("step fetch attempt 2")];
    expect(first.status).toEqual({ code: SpanStatusCode.ERROR, message: "503 from upstream" });
    expect(first.attributes["error.type"]).toBe("Error");
    expect(first.events.map((e) => e.name)).toContain("exception");
    expect(second.status.code).toBe(SpanStatusCode.UNSET);
    expect(tree.parentOf(second)).toBe(step);
    const retrying = step.events.find((e) => e.name === "runtrail.step.retrying");
    expect(retrying?.attributes).toMatchObject({ "runtrail.retry.next_attempt": 2, "runtrail.error.message": "503 from upstream" });
    expect(step.attributes).toMatchObject({ "runtrail.attempts": 2, "runtrail.step.status": "completed" });
    const decision = step.events.find((e) => e.name === "runtrail.decision");
    expect(decision?.attributes).toMatchObject({ "runtrail.decision": "retry", "runtrail.decision.handler": expect.any(String) });
  });

  it("records a control handler's skip on the step's span, with the handler and its reason", async () => {
    const { provider, memory } = memoryProvider();
    const bus = createBus();
    const exporter = createOtelExporter({ bus, tracerProvider: provider });
    const control = createControl();
    control.register((event) => (event.stepId === "deploy" ? { signal: "skip", reason: "change freeze" } : undefined), { name: "change-freeze", eventTypes: ["step.started"] });
    await workflow("release").step("build", () => 1).step("deploy", () => 2, { needs: ["build"] }).build().run(undefined, { bus, control });
    await exporter.close();
    const deploy = new SpanTree(memory.getFinishedSpans()).one("step deploy");
    expect(deploy.attributes["runtrail.step.status"]).toBe("skipped");
    expect(deploy.events.find((e) => e.name === "runtrail.decision")?.attributes).toEqual({
      "runtrail.decision": "skip",
      "runtrail.decision.handler": "change-freeze",
      "runtrail.decision.reason": "change freeze",
    });
  });

  it("gives tool and LLM calls GenAI spans, without content unless asked", async () => {
    const { tree } = await traced();
    const tool = tree.one("execute_tool search");
    expect(tree.parentOf(tool)?.name).toBe("step ask attempt 1");
    expect(tool.attributes).toMatchObject({ "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search" });
    expect(tool.attributes["gen_ai.tool.call.id"]).toMatch(/:call-1$/);
    const llm = tree.one("chat openai/gpt-4o");
    expect(llm.kind).toBe(2); // CLIENT
    expect(llm.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "openai/gpt-4o",
      "gen_ai.usage.input_tokens": 12,
      "gen_ai.usage.output_tokens": 5,
    });
    expect(llm.attributes["gen_ai.system"]).toBeUndefined();
    const everything = JSON.stringify(tree.spans.map((s) => [s.attributes, s.events]));
    expect(everything).not.toContain("secret");
    expect(everything).not.toContain("runtrail.input");
  });

  it("records prompts, responses and tool arguments when captureContent is on", async () => {
    const { tree } = await traced(true);
    const llm = tree.one("chat openai/gpt-4o");
    expect(JSON.parse(llm.attributes["gen_ai.input.messages"] as string)).toEqual([{ role: "user", parts: [{ type: "text", content: "secret prompt" }] }]);
    expect(llm.attributes["gen_ai.output.messages"]).toContain("secret answer");
    expect(tree.one("execute_tool search").attributes["gen_ai.tool.call.arguments"]).toBe('{"q":"runtrail"}');
    expect(tree.one("run demo").attributes["runtrail.input"]).toBe('{"items":[1,2]}');
  });

  it("hangs a sub-workflow's run under the step that started it, in the same trace", async () => {
    const { tree, events } = await traced();
    const sub = tree.one("run enrich");
    expect(tree.ancestry(sub)).toEqual(["step sub attempt 1", "step sub", "wave 1", "run demo"]);
    expect(sub.attributes).toMatchObject({ "runtrail.parent_run_id": events[0]!.runId, "runtrail.workflow.version": "2" });
    expect(tree.ancestry(tree.one("step lookup attempt 1"))).toEqual(["step lookup", "wave 0", "run enrich", "step sub attempt 1", "step sub", "wave 1", "run demo"]);
  });

  it("shows a loop and each iteration, with the body's spans inside its iteration", async () => {
    const { tree } = await traced();
    const loop = tree.one("loop each");
    expect(tree.parentOf(loop)?.name).toBe("step each attempt 1");
    expect(loop.attributes).toMatchObject({ "runtrail.loop.kind": "foreach", "runtrail.loop.iterations": 2 });
    for (const index of [0, 1]) {
      const iteration = tree.one(`each iteration ${index}`);
      expect(tree.parentOf(iteration)).toBe(loop);
      const body = tree.named("step double attempt 1").find((span) => span.attributes["runtrail.path"] === String(index));
      expect(tree.ancestry(body!).slice(0, 3)).toEqual(["step double", "wave 0", `each iteration ${index}`]);
    }
  });

  it("shows a skipped step as a span with its reason, and ends every span it opened", async () => {
    const { tree } = await traced();
    const audit = tree.one("step audit");
    expect(audit.attributes).toMatchObject({ "runtrail.step.status": "skipped" });
    expect(audit.attributes["runtrail.step.skip_reason"]).toEqual(expect.any(String));
    expect(tree.spans.some((span) => span.attributes["runtrail.incomplete"] === true)).toBe(false);
    for (const span of tree.spans) expect(span.endTime[0] * 1e3 + span.endTime[1] / 1e6).toBeGreaterThanOrEqual(span.startTime[0] * 1e3 + span.startTime[1] / 1e6);
  });
});
