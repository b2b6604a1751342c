/**
 * A run's trace context: `traceparent` or `traceId`/`spanId` in its options is stamped on every
 * event of the run and of its sub-workflows, checked first, and refused (before any event) when
 * malformed.
 */
import { describe, expect, it } from "vitest";
import { createBus, TraceparentError, workflow, type RuntrailEvent } from "../../src/index.js";
import { recordingBus } from "./engine-helpers.js";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const SPAN = "b7ad6b7169203331";

const child = workflow<number>("child").step("square", (ctx) => ctx.input * ctx.input).build();
const parent = workflow<number>("parent")
  .step("prep", (ctx) => ctx.input + 1)
  .subworkflow("sq", child, { needs: ["prep"], input: (s) => s.steps.prep as number })
  .build();

function runsOf(events: readonly RuntrailEvent[]): Set<string> {
  return new Set(events.map((e) => e.runId));
}

describe("a run's trace context", () => {
  it("stamps a traceparent's trace id and span id on every event of the run and of its sub-workflow", async () => {
    const { bus, events } = recordingBus();
    expect(await parent.run(2, { bus, traceparent: `00-${TRACE}-${SPAN}-01` })).toBe(9);
    expect(runsOf(events).size).toBe(2);
    expect(events.length).toBeGreaterThan(10);
    for (const event of events) expect({ type: event.type, traceId: event.traceId, spanId: event.spanId }).toEqual({ type: event.type, traceId: TRACE, spanId: SPAN });
  });

  it("takes traceId and spanId as they are, or a trace id alone (no spanId on the events)", async () => {
    const both = recordingBus();
    await parent.run(1, { bus: both.bus, traceId: TRACE, spanId: SPAN });
    expect(both.events.every((e) => e.traceId === TRACE && e.spanId === SPAN)).toBe(true);
    const alone = recordingBus();
    await parent.run(1, { bus: alone.bus, traceId: TRACE });
    expect(alone.events.every((e) => e.traceId === TRACE && !("spanId" in e))).toBe(true);
  });

  it("leaves an untraced run's events without trace fields", async () => {
    const { bus, events } = recordingBus();
    await parent.run(1, { bus });
    expect(events.some((e) => "traceId" in e || "spanId" in e)).toBe(false);
  });

  it("accepts a later version's traceparent with extra fields, and the unsampled flag", async () => {
    const { bus, events } = recordingBus();
    await child.run(3, { bus, traceparent: ` 01-${TRACE}-${SPAN}-00-future-stuff\t` });
    expect(events.every((e) => e.traceId === TRACE && e.spanId === SPAN)).toBe(true);
  });

  it("refuses a malformed trace context before the run emits anything: run rejects, start and runStream throw", async () => {
    const bad = [
      { traceparent: "garbage" },
      { traceparent: `00-${TRACE.toUpperCase()}-${SPAN}-01` },
      { traceparent: `00-${"0".repeat(32)}-${SPAN}-01` },
      { traceparent: `00-${TRACE}-${"0".repeat(16)}-01` },
      { traceparent: `ff-${TRACE}-${SPAN}-01` },
      { traceparent: `00-${TRACE}-${SPAN}-01-extra` },
      { traceparent: `00-${TRACE}-${SPAN}-01`, traceId: TRACE },
      { traceId: "abc" },
      { traceId: TRACE, spanId: "xyz" },
      { spanId: SPAN },
    ];
    const bus = createBus();
    const seen: RuntrailEvent[] = [];
    bus.onEvent((e) => seen.push(e));
    for (const options of bad) {
      await expect(parent.run(1, { bus, ...options }), JSON.stringify(options)).rejects.toBeInstanceOf(TraceparentError);
      expect(() => parent.start(1, { bus, ...options })).toThrow(TraceparentError);
      expect(() => parent.runStream(1, { bus, ...options })).toThrow(TraceparentError);
    }
    expect(seen).toEqual([]);
    // A runStream that threw left no subscription behind on the bus.
    expect(bus.stats().subscriptions).toBe(0);
  });

  it("says what it refused and what it expected", async () => {
    await expect(child.run(1, { traceparent: "00-nothex-b7ad6b7169203331-01" })).rejects.toThrow(
      'traceparent "00-nothex-b7ad6b7169203331-01" is not a W3C trace context ("00-<32 hex>-<16 hex>-<2 hex>", lowercase, ids not all zero)',
    );
    await expect(child.run(1, { traceId: "abc" })).rejects.toThrow('run options: traceId "abc" is not a W3C trace id (32 lowercase hex digits, not all zero)');
    await expect(child.run(1, { spanId: SPAN })).rejects.toThrow(`run options: spanId "${SPAN}" needs a traceId`);
    await expect(child.run(1, { traceparent: `00-${TRACE}-${SPAN}-01`, spanId: SPAN })).rejects.toThrow("give traceparent or traceId/spanId, not both");
  });
});
