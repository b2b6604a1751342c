import { describe, expect, it } from "vitest";
import { BUILTIN_EVENT_TYPES } from "runtrail";
import { EVENT_TYPES, expandTypes, typeMatcher } from "../../dashboard/src/common/event-types.js";
import { previewValue } from "../../dashboard/src/common/value-preview.js";

describe("the dashboard's event types", () => {
  it("are the core's own list (not a copy), so a glob in the log filter names every type it should", () => {
    expect(EVENT_TYPES).toBe(BUILTIN_EVENT_TYPES);
  });

  it("expand globs to exact types, and leave custom x.* types to the page's own filter", () => {
    expect(expandTypes(["step.*"])).toEqual(["step.started", "step.running", "step.completed", "step.failed", "step.skipped", "step.retrying"]);
    expect(expandTypes(["run.failed", "tool.*"])).toEqual(["run.failed", "tool.called", "tool.completed", "tool.failed"]);
    expect(expandTypes(["x.*"])).toBeUndefined();
    expect(typeMatcher(["x.row.*"])("x.row.checked")).toBe(true);
    expect(typeMatcher(["step.*"])("stepXcompleted")).toBe(false);
  });
});

describe("previewValue", () => {
  it("writes at most about `max` characters of a huge value, without serialising it whole", () => {
    const huge = { rows: Array.from({ length: 200_000 }, (_, i) => ({ i, name: `row ${i}` })) };
    const started = performance.now();
    const text = previewValue(huge, 80);
    expect(performance.now() - started).toBeLessThan(20);
    expect(text.length).toBeLessThanOrEqual(81);
    expect(text.startsWith("{rows: [{i: 0, name: \"row 0\"}")).toBe(true);
    expect(text.endsWith("…")).toBe(true);
    expect(previewValue({ a: 1, b: [true, null] })).toBe("{a: 1, b: [true, null]}");
  });
});
