/**
 * What the analytics view asks for and charts: the time range and bucket (from the URL), and a
 * step's series spread over every bucket of the range, as the aligned columns a chart draws.
 * Plain functions, so they are tested without a browser.
 */
import type { StepSeries } from "../../../src/store/index.js";

/**
 * The bucket widths the server takes (`SERIES_BUCKETS` in src/server/http/api-schemas.ts, which
 * pulls TypeBox in and so is not imported here; a test checks the two agree).
 */
export const BUCKETS = { "1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "6h": 21_600_000, "1d": 86_400_000 } as const;
export type Bucket = keyof typeof BUCKETS;
/** The server's cap on buckets per request (`MAX_SERIES_BUCKETS`). */
export const MAX_BUCKETS = 1_000;

/** The ranges the view offers, back from now. */
export const RANGES = { "1h": 3_600_000, "6h": 21_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 } as const;
export type Range = keyof typeof RANGES;

/** The answer of `GET /api/analytics/steps/series`. */
export interface StepSeriesAnswer {
  readonly workflow: string;
  readonly bucket: string;
  readonly bucketMs: number;
  readonly from: number;
  readonly to: number;
  readonly buckets: readonly number[];
  readonly steps: readonly StepSeries[];
}

const isKey = <T extends object>(table: T, key: string | null): key is Extract<keyof T, string> => key !== null && Object.hasOwn(table, key);

/** The buckets whose count over `range` stays within the server's cap (a bucket touches at most one more than fit). */
export function bucketsFor(range: Range): Bucket[] {
  return (Object.keys(BUCKETS) as Bucket[]).filter((bucket) => Math.ceil(RANGES[range] / BUCKETS[bucket]) + 1 <= MAX_BUCKETS);
}

/** A sensible bucket for a range: about 24 to 180 points. */
const DEFAULT_BUCKET: Record<Range, Bucket> = { "1h": "1m", "6h": "5m", "24h": "1h", "7d": "1h", "30d": "6h" };

/**
 * The range and bucket the URL asks for, made valid: an unknown range is the last 24 hours, and
 * a bucket that is unknown or would exceed the cap over the range is the range's default.
 *
 * @example
 * viewRange(new URLSearchParams("range=7d&bucket=1m")) // { range: "7d", bucket: "1h" }
 */
export function viewRange(params: URLSearchParams): { readonly range: Range; readonly bucket: Bucket } {
  const asked = params.get("range");
  const range: Range = isKey(RANGES, asked) ? asked : "24h";
  const bucket = params.get("bucket");
  return { range, bucket: isKey(BUCKETS, bucket) && bucketsFor(range).includes(bucket) ? bucket : DEFAULT_BUCKET[range] };
}

/** One step's columns over every bucket: null where the step had no completion (a gap in the line). */
export interface StepColumns {
  readonly t: number[];
  readonly avgMs: (number | null)[];
  readonly p95Ms: (number | null)[];
  readonly completed: number[];
  readonly failures: number[];
  readonly runsFailed: number[];
}

/**
 * A step's sparse points spread over the answer's buckets: counts are 0 where the step had no
 * point, durations null.
 */
export function stepColumns(answer: StepSeriesAnswer, stepId: string): StepColumns {
  const points = new Map(answer.steps.find((s) => s.stepId === stepId)?.points.map((p) => [p.t, p]) ?? []);
  const t = [...answer.buckets];
  const at = t.map((x) => points.get(x));
  return {
    t,
    avgMs: at.map((p) => p?.avgMs ?? null),
    p95Ms: at.map((p) => p?.p95Ms ?? null),
    completed: at.map((p) => p?.completed ?? 0),
    failures: at.map((p) => p?.failures ?? 0),
    runsFailed: at.map((p) => p?.runsFailed ?? 0),
  };
}
