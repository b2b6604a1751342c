/**
 * The analytics view's range logic without a browser: its bucket table is the server's, the URL's
 * range and bucket are made valid (never a request the server refuses for its cap), and a step's
 * sparse points spread over every bucket as chart columns.
 */
import { describe, expect, it } from "vitest";
import { BUCKETS, bucketsFor, MAX_BUCKETS, RANGES, stepColumns, viewRange, type Range, type StepSeriesAnswer } from "../../dashboard/src/runs/analytics-range.js";
import { MAX_SERIES_BUCKETS, SERIES_BUCKETS } from "../../src/server/http/api-schemas.js";
import { seriesRange } from "../../src/server/http/routes-analytics.js";

describe("the analytics view's range", () => {
  it("offers the server's buckets and cap", () => {
    expect(BUCKETS).toEqual(SERIES_BUCKETS);
    expect(MAX_BUCKETS).toBe(MAX_SERIES_BUCKETS);
  });

  it("offers, for each range, only the buckets the server takes over it, at any time of day", () => {
    const now = Date.UTC(2026, 5, 1, 13, 7, 31, 123);
    for (const range of Object.keys(RANGES) as Range[]) {
      const offered = bucketsFor(range);
      expect(offered.length, range).toBeGreaterThan(0);
      for (const bucket of Object.keys(BUCKETS) as (keyof typeof BUCKETS)[]) {
        const answer = seriesRange({ workflow: "w", bucket, from: now - RANGES[range], to: now }, now);
        // Offered exactly when the server accepts it (and one more bucket could be touched off the hour).
        if (offered.includes(bucket)) expect("field" in answer, `${range} ${bucket}`).toBe(false);
        else expect(Math.ceil(RANGES[range] / BUCKETS[bucket]) + 1, `${range} ${bucket}`).toBeGreaterThan(MAX_BUCKETS);
      }
    }
    expect(bucketsFor("24h")).toEqual(["5m", "15m", "1h", "6h", "1d"]);
    expect(bucketsFor("30d")).toEqual(["1h", "6h", "1d"]);
  });

  it("reads the range and bucket from the URL, replacing an unknown or too fine one by the range's default", () => {
    expect(viewRange(new URLSearchParams(""))).toEqual({ range: "24h", bucket: "1h" });
    expect(viewRange(new URLSearchParams("range=7d&bucket=15m"))).toEqual({ range: "7d", bucket: "15m" });
    expect(viewRange(new URLSearchParams("range=7d&bucket=1m"))).toEqual({ range: "7d", bucket: "1h" });
    expect(viewRange(new URLSearchParams("range=1y&bucket=2h"))).toEqual({ range: "24h", bucket: "1h" });
    expect(viewRange(new URLSearchParams("range=toString&bucket=constructor"))).toEqual({ range: "24h", bucket: "1h" });
  });

  it("spreads a step's points over every bucket: 0 counts and null durations where it has none", () => {
    const answer: StepSeriesAnswer = {
      workflow: "w",
      bucket: "1h",
      bucketMs: 10,
      from: 0,
      to: 40,
      buckets: [0, 10, 20, 30],
      steps: [
        { stepId: "a", points: [{ t: 10, completed: 2, failures: 1, runsFailed: 0, avgMs: 5, p95Ms: 7 }, { t: 30, completed: 0, failures: 2, runsFailed: 1 }] },
        { stepId: "b", points: [{ t: 0, completed: 1, failures: 0, runsFailed: 0, avgMs: 1, p95Ms: 1 }] },
      ],
    };
    expect(stepColumns(answer, "a")).toEqual({
      t: [0, 10, 20, 30],
      avgMs: [null, 5, null, null],
      p95Ms: [null, 7, null, null],
      completed: [0, 2, 0, 0],
      failures: [0, 1, 0, 2],
      runsFailed: [0, 0, 0, 1],
    });
    expect(stepColumns(answer, "missing").completed).toEqual([0, 0, 0, 0]);
  });
});
