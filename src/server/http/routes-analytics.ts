/**
 * Analytics over time: `GET /api/analytics/steps/series`, a workflow's steps per time bucket
 * (what completed, failed attempts, runs failed, average and p95 duration), the data of the
 * dashboard's charts. Scoped to the token's account like every read; the totals stay at
 * `GET /api/analytics/steps`.
 */
import { apiResponses, StepSeriesAnalytics } from "./api-responses.js";
import { MAX_SERIES_BUCKETS, SERIES_BUCKETS, StepSeriesQuery, type SeriesBucket } from "./api-schemas.js";
import { sendError } from "./error-responses.js";
import { principalOf } from "./route-guards.js";
import type { App, ServerContext } from "../server-context.js";

/** The range when the query gives no `from`: the day before `to`. */
const DEFAULT_SPAN_MS = 24 * 3_600_000;

/** A series request's range, resolved: its bucket, its bounds, and the start of every bucket it touches. */
export interface SeriesRange {
  readonly bucket: SeriesBucket;
  readonly bucketMs: number;
  readonly from: number;
  readonly to: number;
  readonly buckets: readonly number[];
}

/**
 * Resolves a series query against `now`: the defaults filled in, then checked. A problem comes
 * back as the message and field of the 400 to answer.
 *
 * @example
 * const range = seriesRange({ workflow: "etl", bucket: "1h" }, Date.now());
 * if ("field" in range) return sendError(reply, 400, "bad_request", range.message, range.field);
 */
export function seriesRange(query: StepSeriesQuery, now: number): SeriesRange | { readonly message: string; readonly field: string } {
  const bucket = query.bucket ?? "1h";
  const bucketMs = SERIES_BUCKETS[bucket];
  const to = query.to ?? now;
  const from = query.from ?? Math.max(0, to - DEFAULT_SPAN_MS);
  if (from > to) {
    const field = query.from === undefined ? "querystring.to" : "querystring.from";
    return { message: `from (${from}) is after to (${to})${query.to === undefined ? ", which defaults to now" : ""}`, field };
  }
  const first = Math.floor(from / bucketMs) * bucketMs;
  const count = from === to ? 0 : Math.ceil((to - first) / bucketMs);
  if (count > MAX_SERIES_BUCKETS) {
    return {
      message: `from ${from} to ${to} spans ${count} buckets of ${bucket}, more than the ${MAX_SERIES_BUCKETS} allowed: choose a wider bucket or a shorter range`,
      field: "querystring.bucket",
    };
  }
  return { bucket, bucketMs, from, to, buckets: Array.from({ length: count }, (_, i) => first + i * bucketMs) };
}

/**
 * Registers `GET /api/analytics/steps/series`.
 *
 * @example
 * registerAnalyticsRoutes(app, ctx);
 */
export function registerAnalyticsRoutes(app: App, ctx: ServerContext): void {
  app.get(
    "/api/analytics/steps/series",
    {
      schema: {
        tags: ["analytics"],
        summary: "A workflow's step outcomes and durations per time bucket",
        description: `Per step id and bucket: completed steps, failed attempts, runs failed, average and nearest-rank p95 duration. At most ${MAX_SERIES_BUCKETS} buckets.`,
        querystring: StepSeriesQuery,
        response: apiResponses({ 200: StepSeriesAnalytics }),
      },
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "read");
      if (who === undefined) return reply;
      const range = seriesRange(request.query, Date.now());
      if ("field" in range) return sendError(reply, 400, "bad_request", range.message, range.field);
      const { workflow } = request.query;
      const steps = await ctx.store.stepSeries(who.accountId, { workflow, bucketMs: range.bucketMs, from: range.from, to: range.to });
      return { workflow, ...range, steps };
    },
  );
}
