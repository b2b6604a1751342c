/**
 * `GET /api/runs/:runId/children`: the sub-workflow runs a run started, each with the parent step
 * that started it (`parentStepId`), so the dashboard links a sub-workflow node to its child run.
 * The store finds them by `parent_run_id` in the token's account: another account's children of
 * the same run id are never seen.
 */
import { apiResponses, RunsPage } from "./api-responses.js";
import { ChildRunsQuery, RunParams } from "./api-schemas.js";
import { principalOf, runNotFound } from "./route-guards.js";
import { sendError } from "./error-responses.js";
import type { App, ServerContext } from "../server-context.js";

/**
 * Registers `GET /api/runs/:runId/children`.
 *
 * @example
 * registerChildRunRoutes(app, ctx);
 */
export function registerChildRunRoutes(app: App, ctx: ServerContext): void {
  app.get(
    "/api/runs/:runId/children",
    {
      schema: {
        tags: ["runs"],
        summary: "The sub-workflow runs a run started, newest first, each with its `parentStepId`",
        params: RunParams,
        querystring: ChildRunsQuery,
        response: apiResponses({ 200: RunsPage }, { 404: "No run with this id in the token's account." }),
      },
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "read");
      if (who === undefined) return reply;
      const { runId } = request.params;
      const { limit = 100, pageToken } = request.query;
      if ((await ctx.store.getRun(who.accountId, runId)) === undefined) return runNotFound(reply, runId);
      try {
        const page = await ctx.store.listRuns(who.accountId, { parentRunId: runId, limit, ...(pageToken === undefined ? {} : { pageToken }) });
        return { runs: page.items, ...(page.next === undefined ? {} : { next: page.next }) };
      } catch (error) {
        // The store rejects a malformed page token with a RangeError.
        if (error instanceof RangeError) return sendError(reply, 400, "bad_request", error.message, "querystring.pageToken");
        throw error;
      }
    },
  );
}
