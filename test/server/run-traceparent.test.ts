/**
 * `POST /api/workflows/:name/runs` with a W3C `traceparent`: the run joins the caller's trace
 * (its stored events carry the trace id and the caller's span id; an OTel exporter on the
 * server's bus makes the run's span a child of the caller's span). A malformed header is ignored,
 * as the W3C specification asks: the run starts, untraced.
 */
import { InMemorySpanExporter, BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOtelExporter, type OtelExporter } from "../../src/bridges/otel/index.js";
import { workflow } from "../../src/engine/index.js";
import { auth, readSse, startHarness, type Harness } from "./server-fixtures.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER = "00f067aa0ba902b7";

const double = workflow<number>("double").step("x2", (ctx) => ctx.input * 2).build();

let h: Harness;
let exporter: OtelExporter;
const spans = new InMemorySpanExporter();
beforeAll(async () => {
  h = await startHarness({ workflows: [double] });
  exporter = createOtelExporter({ bus: h.bus, tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }) });
});
afterAll(async () => {
  await exporter.close();
  await h.close();
});

/** Starts `double` with these extra request headers; resolves with its stored events once it ended. */
async function startWith(headers: [string, string][]): Promise<Record<string, unknown>[]> {
  const request = new Headers({ ...auth(h.tokens.acme), "content-type": "application/json" });
  for (const [name, value] of headers) request.append(name, value);
  const response = await fetch(`${h.url}/api/workflows/double/runs`, { method: "POST", headers: request, body: JSON.stringify({ input: 21 }) });
  expect(response.status).toBe(202);
  const { runId } = (await response.json()) as { runId: string };
  await readSse(`${h.url}/api/runs/${runId}/stream`, { token: h.tokens.acme });
  const page = await fetch(`${h.url}/api/runs/${runId}/events`, { headers: auth(h.tokens.acme) });
  const { events } = (await page.json()) as { events: Record<string, unknown>[] };
  expect(events.map((e) => e.type).at(-1)).toBe("run.completed");
  return events;
}

describe("POST /api/workflows/:name/runs with a traceparent", () => {
  it("starts the run in the caller's trace: every stored event carries the trace id and the caller's span id", async () => {
    const events = await startWith([["traceparent", `00-${TRACE}-${CALLER}-01`]]);
    expect(events.length).toBeGreaterThan(4);
    for (const event of events) expect([event.type, event.traceId, event.spanId]).toEqual([event.type, TRACE, CALLER]);
  });

  it("makes the run's span a child of the caller's span in an exporter on the server's bus", async () => {
    const events = await startWith([["traceparent", `00-${TRACE}-${CALLER}-01`]]);
    await exporter.flush();
    const run = spans.getFinishedSpans().find((span) => span.name === "run double" && span.attributes["runtrail.run_id"] === events[0]!.runId);
    expect(run, "the run's span").toBeDefined();
    expect(run?.spanContext().traceId).toBe(TRACE);
    expect(run?.parentSpanContext).toMatchObject({ traceId: TRACE, spanId: CALLER, isRemote: true });
  });

  it("ignores a malformed traceparent (or two of them): the run starts, without trace fields", async () => {
    for (const headers of [
      [["traceparent", "garbage"]],
      [["traceparent", `00-${TRACE.toUpperCase()}-${CALLER}-01`]],
      [["traceparent", `00-${"0".repeat(32)}-${CALLER}-01`]],
      [["traceparent", `00-${TRACE}-${CALLER}-01`], ["traceparent", `00-${TRACE}-${CALLER}-01`]],
    ] as [string, string][][]) {
      const events = await startWith(headers);
      expect(events.some((e) => "traceId" in e || "spanId" in e), JSON.stringify(headers)).toBe(false);
    }
  });

  it("says so in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${h.url}/api/openapi.json`)).json()) as { paths: Record<string, { post?: { description?: string } }> };
    expect(doc.paths["/api/workflows/{name}/runs"]?.post?.description).toMatch(/traceparent.*malformed `traceparent` is ignored/s);
  });
});
