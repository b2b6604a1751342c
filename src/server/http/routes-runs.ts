/**
 * Read routes: runs, one run with its steps, a run's events a page at a time, step analytics.
 * Every query passes the token's account to the store, which scopes it: another account's run is
 * simply not found (404).
 */
import type { ListRunsOptions } from "../../store/index.js";
import { apiResponses, EventsPage, RunsPage, RunSummary, StepAnalytics } from "./api-responses.js";
import { AnalyticsQuery, ListRunsQuery, NoQuery, RunEventsQuery, RunParams } from "./api-schemas.js";
import { principalOf, runNotFound } from "./route-guards.js";
import { badTypePattern, sendError } from "./error-responses.js";
import { readRunEventsOfTypes } from "./run-events-read.js";
import { registerRunViewRoutes } from "./routes-run-view.js";
import type { App, ServerContext } from "../server-context.js";

const RUN_NOT_FOUND = "No run with this id in the token's account.";

/**
 * Registers `GET /api/runs`, `/api/runs/:runId`, `/api/runs/:runId/events`, `/api/analytics/steps`,
 * and the run view's reads (`/api/runs/:runId/overview`, `/api/runs/:runId/steps/:stepId`).
 *
 * @example
 * registerRunRoutes(app, ctx);
 */
export function registerRunRoutes(app: App, ctx: ServerContext): void {
  registerRunViewRoutes(app, ctx);
  app.get(
    "/api/runs",
    { schema: { tags: ["runs"], summary: "List runs, newest first", querystring: ListRunsQuery, response: apiResponses({ 200: RunsPage }) } },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "read");
      if (who === undefined) return reply;
      const q = request.query;
      const options: ListRunsOptions = {
        limit: q.limit ?? 50,
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.workflow === undefined ? {} : { workflow: q.workflow }),
        ...(q.from === undefined ? {} : { from: q.from }),
        ...(q.to === undefined ? {} : { to: q.to }),
        ...(q.withIssues === undefined ? {} : { withIssues: q.withIssues }),
        ...(q.pageToken === undefined ? {} : { pageToken: q.pageToken }),
      };
      try {
        const page = await ctx.store.listRuns(who.accountId, options);
        return { runs: page.items, ...(page.next === undefined ? {} : { next: page.next }) };
      } catch (error) {
        // The store rejects a malformed page token with a RangeError.
        if (error instanceof RangeError) return sendError(reply, 400, "bad_request", error.message, "querystring.pageToken");
        throw error;
      }
    },
  );

  app.get(
    "/api/runs/:runId",
    {
      schema: {
        tags: ["runs"],
        summary: "A run's summary with its steps and progress",
        params: RunParams,
        querystring: NoQuery,
        response: apiResponses({ 200: RunSummary }, { 404: RUN_NOT_FOUND }),
      },
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "read");
      if (who === undefined) return reply;
      const { runId } = request.params;
      const run = await ctx.store.getRun(who.accountId, runId);
      if (run === undefined) return runNotFound(reply, runId);
      const steps = await ctx.store.listSteps(who.accountId, runId);
      return { run, steps };
    },
  );

  app.get(
    "/api/runs/:runId/events",
    {
      schema: {
        tags: ["runs"],
        summary: "A page of a run's events after a seq",
        params: RunParams,
        querystring: RunEventsQuery,
        response: apiResponses({ 200: EventsPage }, { 404: RUN_NOT_FOUND }),
      },
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "read");
      if (who === undefined) return reply;
      const { runId } = request.params;
      const { after = 0, limit = 100, types } = request.query;
      const bad = badTypePattern(types);
      if (bad !== undefined) return sendError(reply, 400, "bad_request", bad.message, bad.field);
      const run = await ctx.store.getRun(who.accountId, runId);
      if (run === undefined) return runNotFound(reply, runId);
      return readRunEventsOfTypes(ctx.store, who.accountId, runId, { after, limit, types: types ?? ["*"] });
    },
  );

  app.get(
    "/api/analytics/steps",
    { schema: { tags: ["analytics"], summary: "Step durations and failures", querystring: AnalyticsQuery, response: apiResponses({ 200: StepAnalytics }) } },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "read");
      if (who === undefined) return reply;
      const q = request.query;
      const scope = {
        ...(q.workflow === undefined ? {} : { workflow: q.workflow }),
        ...(q.from === undefined ? {} : { from: q.from }),
        ...(q.to === undefined ? {} : { to: q.to }),
      };
      const [durations, failures] = await Promise.all([ctx.store.stepDurations(who.accountId, scope), ctx.store.stepFailures(who.accountId, scope)]);
      return { durations, failures };
    },
  );
}
