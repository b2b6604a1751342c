/**
 * W3C Trace Context as the events piece reads and writes it: the receiver's rules of the
 * specification, and the envelope's trace fields checked by the event schema.
 */
import { describe, expect, it } from "vitest";
import { formatTraceparent, isSpanId, isTraceId, parseEvent, parseTraceparent } from "../../src/events/index.js";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const SPAN = "b7ad6b7169203331";

describe("traceparent", () => {
  it("reads a version-00 header: trace id, parent span id and the sampled flag", () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: false });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-03`)?.sampled).toBe(true);
    expect(parseTraceparent(` \t00-${TRACE}-${SPAN}-01 `)?.traceId).toBe(TRACE);
  });

  it("reads a later version's first four fields and ignores what follows", () => {
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-adds`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
  });

  it("refuses what the specification says a receiver must ignore", () => {
    for (const header of [
      "",
      "garbage",
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN.toUpperCase()}-01`,
      `00-${"0".repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${"0".repeat(16)}-01`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE}-${SPAN}-1`,
      `00-${TRACE.slice(1)}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01, 00-${TRACE}-${SPAN}-01`,
      `0-${TRACE}-${SPAN}-01`,
    ]) {
      expect(parseTraceparent(header), header).toBeUndefined();
    }
  });

  it("writes a header that reads back the same", () => {
    const header = formatTraceparent({ traceId: TRACE, spanId: SPAN });
    expect(header).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(parseTraceparent(header)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, sampled: false })).toBe(`00-${TRACE}-${SPAN}-00`);
  });

  it("checks trace and span ids", () => {
    expect([isTraceId(TRACE), isTraceId("0".repeat(32)), isTraceId(TRACE.toUpperCase()), isTraceId(SPAN)]).toEqual([true, false, false, false]);
    expect([isSpanId(SPAN), isSpanId("0".repeat(16)), isSpanId(TRACE)]).toEqual([true, false, false]);
  });

  it("is what the event schema asks of an event's traceId and spanId", () => {
    const event = { type: "run.resumed", id: "r:1", runId: "r", accountId: "default", workflow: { name: "w" }, seq: 1, ts: 0 };
    expect(parseEvent({ ...event, traceId: TRACE, spanId: SPAN })).toMatchObject({ traceId: TRACE, spanId: SPAN });
    expect(() => parseEvent({ ...event, traceId: "not-a-trace" })).toThrow(/traceId/);
    expect(() => parseEvent({ ...event, traceId: TRACE, spanId: SPAN.toUpperCase() })).toThrow(/spanId/);
  });
});
