import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createBus, workflow, type RuntrailEvent } from "runtrail";
import { createOtelExporter, TraceparentError, type OtelExporterFailure } from "runtrail/otel";
import { describe, expect, it } from "vitest";
import { demoWorkflow, memoryProvider, SpanTree } from "./otel-fixtures.js";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const PARENT = "b7ad6b7169203331";

describe("OpenTelemetry exporter: trace context, failures, isolation", () => {
  it("joins an incoming traceparent: the run span is a child of the caller's span and every event carries the trace id", async () => {
    const { provider, memory } = memoryProvider();
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((event) => events.push(event));
    const exporter = createOtelExporter({ bus, tracerProvider: provider });
    const options = exporter.runOptions({ traceparent: `00-${TRACE}-${PARENT}-01` });
    expect(options.traceId).toBe(TRACE);
    await demoWorkflow().run({ items: [1] }, { bus, ...options });
    await exporter.close();
    const tree = new SpanTree(memory.getFinishedSpans());
    const run = tree.one("run demo");
    expect(run.spanContext().traceId).toBe(TRACE);
    expect(run.parentSpanContext?.spanId).toBe(PARENT);
    expect(run.attributes["runtrail.run_id"]).toBe(options.runId);
    expect(tree.spans.every((span) => span.spanContext().traceId === TRACE)).toBe(true);
    expect(events.length).toBeGreaterThan(10);
    expect(events.every((event) => event.traceId === TRACE)).toBe(true);
    // Both ways: every event (the sub-workflow's too) names the run's own span, which names the run.
    expect(options.spanId).toBe(run.spanContext().spanId);
    expect(events.every((event) => event.spanId === run.spanContext().spanId)).toBe(true);
  });

  it("joins the trace of a run started with a traceparent of its own (no runOptions): the run's span is the caller's span's child", async () => {
    const { provider, memory } = memoryProvider();
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((event) => events.push(event));
    const exporter = createOtelExporter({ bus, tracerProvider: provider });
    await demoWorkflow().run({ items: [1] }, { bus, runId: "joined", traceparent: `00-${TRACE}-${PARENT}-01` });
    await exporter.close();
    const tree = new SpanTree(memory.getFinishedSpans());
    const run = tree.one("run demo");
    expect(run.spanContext().traceId).toBe(TRACE);
    expect(run.parentSpanContext).toMatchObject({ traceId: TRACE, spanId: PARENT, isRemote: true });
    expect(run.attributes["runtrail.run_id"]).toBe("joined");
    expect(tree.spans.every((span) => span.spanContext().traceId === TRACE)).toBe(true);
    // The sub-workflow run still hangs under its step, not under the caller's span.
    expect(tree.ancestry(tree.one("run enrich"))).toEqual(["step sub attempt 1", "step sub", "wave 1", "run demo"]);
    expect(events.every((event) => event.traceId === TRACE && event.spanId === PARENT)).toBe(true);
  });

  it("starts a new trace for a run without a traceparent, whose id the events carry", async () => {
    const { provider, memory } = memoryProvider();
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((event) => events.push(event));
    const exporter = createOtelExporter({ bus, tracerProvider: provider });
    const options = exporter.runOptions();
    await workflow("one").step("a", () => 1).build().run(undefined, { bus, ...options });
    await exporter.close();
    const run = new SpanTree(memory.getFinishedSpans()).one("run one");
    expect(run.parentSpanContext).toBeUndefined();
    expect(run.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(events.every((event) => event.traceId === run.spanContext().traceId)).toBe(true);
  });

  it("uses the global tracer provider when given none", async () => {
    const { provider, memory } = memoryProvider();
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    try {
      const bus = createBus();
      const exporter = createOtelExporter({ bus });
      await workflow("global").step("a", () => 1).build().run(undefined, { bus });
      await exporter.close();
      expect(memory.getFinishedSpans().map((span) => span.name).sort()).toEqual(["run global", "step a", "step a attempt 1", "wave 0"]);
      expect(memory.getFinishedSpans()[0]!.instrumentationScope.name).toBe("runtrail");
    } finally {
      trace.disable();
    }
  });

  it("refuses a malformed traceparent, saying what it expected", () => {
    const bus = createBus();
    const exporter = createOtelExporter({ bus, tracerProvider: memoryProvider().provider });
    expect(() => exporter.runOptions({ traceparent: "00-nothex-b7ad6b7169203331-01" })).toThrow(TraceparentError);
    expect(() => exporter.runOptions({ traceparent: "garbage" })).toThrow(/not a W3C trace context/);
  });

  it("marks a failed run ERROR with the error", async () => {
    const { provider, memory } = memoryProvider();
    const bus = createBus();
    const exporter = createOtelExporter({ bus, tracerProvider: provider });
    const failing = workflow("broken").step("boom", () => {
      throw new TypeError("bad input");
    }).build();
    await expect(failing.run(undefined, { bus })).rejects.toThrow();
    await exporter.close();
    const tree = new SpanTree(memory.getFinishedSpans());
    const run = tree.one("run broken");
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(run.attributes["runtrail.run.status"]).toBe("failed");
    expect(tree.one("step boom").status).toEqual({ code: SpanStatusCode.ERROR, message: "bad input" });
    expect(tree.one("step boom").attributes["error.type"]).toBe("TypeError");
  });

  it("never changes a run: a throwing tracer is reported, and the run's output is the same", async () => {
    const bus = createBus();
    const failures: OtelExporterFailure[] = [];
    const broken = { getTracer: () => ({ startSpan: () => { throw new Error("tracer down"); }, startActiveSpan: () => { throw new Error("tracer down"); } }) };
    const exporter = createOtelExporter({ bus, tracerProvider: broken as never, onError: (f) => failures.push(f) });
    const output = await demoWorkflow().run({ items: [1, 2] }, { bus });
    await exporter.close();
    expect(output).toEqual([2, 4]);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatchObject({ kind: "threw", event: { type: "run.started" } });
  });

  it("drops rather than waits when it falls behind: counted, reported, and marked on the run's span", async () => {
    const { provider, memory } = memoryProvider();
    const bus = createBus();
    const failures: OtelExporterFailure[] = [];
    const exporter = createOtelExporter({ bus, tracerProvider: provider, bufferSize: 10, onError: (f) => failures.push(f) });
    void bus.emit({ type: "run.started", runId: "r", workflow: { name: "burst" } });
    await exporter.flush();
    // 100 events in one synchronous burst: no emit waits (none returns a promise).
    for (let i = 0; i < 100; i++) expect(bus.emit({ type: "x.tick", runId: "r", workflow: { name: "burst" } })).toBeUndefined();
    void bus.emit({ type: "run.completed", runId: "r", workflow: { name: "burst" }, durationMs: 1 });
    await exporter.close();
    // The first tick went straight to the waiting exporter, 10 filled its buffer, and each later
    // event pushed out the oldest: seq 3..92 went missing, the last 10 (with run.completed) stayed.
    expect(exporter.stats().dropped).toBe(90);
    expect(failures).toEqual([expect.objectContaining({ kind: "dropped", gap: expect.objectContaining({ runId: "r", fromSeq: 3, toSeq: 92 }) })]);
    const run = new SpanTree(memory.getFinishedSpans()).one("run burst");
    expect(run.attributes["runtrail.gap"]).toBe(true);
    expect(run.events.filter((e) => e.name === "x.tick")).toHaveLength(10);
  });

  it("sends the spans through the OTLP/HTTP exporter to a receiver, which gets the whole tree", async () => {
    const bodies: { contentType: string | undefined; body: string }[] = [];
    const receiver = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (body += chunk));
      request.on("end", () => {
        bodies.push({ contentType: request.headers["content-type"], body });
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const { port } = receiver.address() as AddressInfo;
    try {
      const provider = new BasicTracerProvider({
        spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` }))],
      });
      const bus = createBus();
      const events: RuntrailEvent[] = [];
      bus.onEvent((event) => events.push(event));
      const exporter = createOtelExporter({ bus, tracerProvider: provider });
      await demoWorkflow().run({ items: [1, 2] }, { bus, accountId: "acme", ...exporter.runOptions({ traceparent: `00-${TRACE}-${PARENT}-01` }) });
      await exporter.close();
      await provider.forceFlush();
      await provider.shutdown();
      expect(bodies.length).toBeGreaterThan(0);
      expect(bodies[0]!.contentType).toBe("application/json");
      type OtlpSpan = { name: string; traceId: string; spanId: string; parentSpanId?: string; attributes: { key: string; value: { stringValue?: string } }[] };
      const spans: OtlpSpan[] = bodies.flatMap(({ body }) =>
        (JSON.parse(body) as { resourceSpans: { scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) =>
          r.scopeSpans.flatMap((s) => {
            expect(s.scope.name).toBe("runtrail");
            return s.spans;
          }),
        ),
      );
      const byName = (name: string) => spans.find((span) => span.name === name)!;
      expect(spans.map((span) => span.name)).toEqual(expect.arrayContaining(["run demo", "step fetch attempt 2", "chat openai/gpt-4o", "run enrich", "each iteration 1"]));
      expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([TRACE]));
      // What the backend received links to the trail and back: the run's span is the caller's
      // span's child, and every event names that run span.
      expect(byName("run demo").parentSpanId).toBe(PARENT);
      expect(events.every((event) => event.traceId === TRACE && event.spanId === byName("run demo").spanId)).toBe(true);
      expect(byName("step fetch").parentSpanId).toBe(byName("wave 0").spanId);
      expect(byName("run demo").attributes).toContainEqual({ key: "runtrail.account_id", value: { stringValue: "acme" } });
      expect(spans).toHaveLength(memorylessCount());
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

/** The demo run's span count, by its shape: 4 run/wave spans per level are counted by hand. */
function memorylessCount(): number {
  // run demo, 3 waves, fetch (+2 attempts), ask (+1, tool, llm), sub (+1), audit, each (+1),
  // loop, 2 iterations each with a wave and double (+1), run enrich with a wave and lookup (+1).
  return 1 + 3 + 3 + 4 + 2 + 1 + 2 + 1 + 2 * 4 + 4;
}
