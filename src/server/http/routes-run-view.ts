/**
 * What the dashboard's run view reads, shaped for it: `GET /api/runs/:runId/overview` (the run,
 * its workflow's graph and its steps as a compact table: everything the graph and the timeline
 * draw, in one request, without any step's input or output; with `?tail=` also the latest events
 * the log opens at) and `GET /api/runs/:runId/steps/:stepId`
 * (one step row with its own events, read when its panel opens). Both are scoped to the token's
 * account like every route: another account's run is not found (404).
 */
import type { RunGraph } from "../../events/index.js";
import { apiResponses, RunOverview, StepDetail } from "./api-responses.js";
import { RunOverviewQuery, RunParams, StepEventsQuery, StepParams } from "./api-schemas.js";
import { sendError } from "./error-responses.js";
import { principalOf, runNotFound } from "./route-guards.js";
import { toStepTable } from "./step-table.js";
import type { App, ServerContext } from "../server-context.js";

const RUN_NOT_FOUND = "No run with this id in the token's account.";

/**
 * Registers `GET /api/runs/:runId/overview` and `GET /api/runs/:runId/steps/:stepId`.
 *
 * @example
 * registerRunViewRoutes(app, ctx);
 */
export function registerRunViewRoutes(app: App, ctx: ServerContext): void {
  app.get(
    "/api/runs/:runId/overview",
    {
      schema: {
        tags: ["runs"],
        summary: "A run with its workflow's graph and its steps as a table, for a run view",
        params: RunParams,
        querystring: RunOverviewQuery,
        response: apiResponses({ 200: RunOverview }, { 404: RUN_NOT_FOUND }),
      },
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "read");
      if (who === undefined) return reply;
      const { runId } = request.params;
      // Three reads at once: each is scoped to the account, so a foreign run's steps and first event are simply none.
      const [run, steps, first] = await Promise.all([
        ctx.store.getRun(who.accountId, runId),
        ctx.store.listStepColumns(who.accountId, runId),
        ctx.store.readRun(who.accountId, runId, { after: 0, limit: 1 }),
      ]);
      if (run === undefined) return runNotFound(reply, runId);
      // The graph rides on run.started, a run's first event.
      const opening = first.items[0]?.event;
      const graph: RunGraph | undefined = opening?.type === "run.started" ? opening.graph : undefined;
      const overview = { run, ...(graph === undefined ? {} : { graph }), steps: toStepTable(steps, run.startedAt) };
      const { tail } = request.query;
      if (tail === undefined || run.lastSeq === 0) return overview;
      // The last two pages of `tail` by seq, aligned as a client reading pages `after = p × tail` asks them: the latest page may hold one event only.
      const after = Math.max(0, (Math.ceil(run.lastSeq / tail) - 2) * tail);
      const latest = await ctx.store.readRun(who.accountId, runId, { after, limit: run.lastSeq - after });
      return { ...overview, tail: { after, events: latest.items.map((item) => item.event) } };
    },
  );

  app.get(
    "/api/runs/:runId/steps/:stepId",
    {
      schema: {
        tags: ["runs"],
        summary: "One step row (by id and loop path) with a page of its events",
        params: StepParams,
        querystring: StepEventsQuery,
        response: apiResponses({ 200: StepDetail }, { 404: "No run with this id in the token's account, or no step with this id and path in the run." }),
      },
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "read");
      if (who === undefined) return reply;
      const { runId, stepId } = request.params;
      const { after = 0, limit = 200 } = request.query;
      const path = request.query.path === undefined ? [] : request.query.path.split(".").map(Number);
      const [run, step] = await Promise.all([ctx.store.getRun(who.accountId, runId), ctx.store.getStep(who.accountId, runId, stepId, path)]);
      if (run === undefined) return runNotFound(reply, runId);
      if (step === undefined) return sendError(reply, 404, "not_found", `no step "${stepId}"${path.length === 0 ? "" : ` at path ${path.join(".")}`} in run "${runId}"`);
      const page = await ctx.store.readStepEvents(who.accountId, runId, stepId, { path, after, limit });
      const events = page.items.map((item) => item.event);
      return page.next === undefined ? { step, events } : { step, events, next: page.next };
    },
  );
}
