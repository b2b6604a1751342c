/**
 * Write routes (start a workflow, cancel a run) and the stream-token exchange. Starting waits
 * until the run's first event is committed, so the run id it returns can be streamed at once.
 */
import { randomUUID } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { parseTraceparent, type RuntrailEvent } from "../../events/index.js";
import { isRunFinished } from "../../store/index.js";
import { apiResponses, RunCancelled, RunStarted, StreamTokenIssued } from "./api-responses.js";
import { CancelBody, NoQuery, RunParams, StartRunBody, StreamTokenBody, WorkflowParams } from "./api-schemas.js";
import { missingBodyIsEmpty, principalOf, runExists, runNotFound } from "./route-guards.js";
import { holdHandle } from "./run-hold.js";
import { sendError } from "./error-responses.js";
import type { App, ServerContext } from "../server-context.js";

const FIRST_EVENT_TIMEOUT_MS = 10_000;


/**
 * The trace a started run joins: the request's `traceparent`, if it is a valid one. A malformed
 * header (or two of them, which Node joins with a comma) is ignored rather than refused: W3C Trace
 * Context says a receiver that cannot parse it starts a new trace, and a proxy's broken header
 * must not stop a workflow from starting.
 */
function incomingTrace(request: FastifyRequest): { traceId: string; spanId: string } | undefined {
  const header = request.headers.traceparent;
  const context = typeof header === "string" ? parseTraceparent(header) : undefined;
  return context === undefined ? undefined : { traceId: context.traceId, spanId: context.spanId };
}

/**
 * Registers `POST /api/workflows/:name/runs`, `POST /api/runs/:runId/cancel`, `POST /api/stream-tokens`.
 *
 * @example
 * registerControlRoutes(app, ctx);
 */
export function registerControlRoutes(app: App, ctx: ServerContext): void {
  app.post(
    "/api/workflows/:name/runs",
    {
      schema: {
        tags: ["workflows"],
        summary: "Start a registered workflow; returns the run id",
        description:
          "With a W3C `traceparent` header the run joins that trace: every event of it carries the header's `traceId` and `spanId` " +
          "(its parent span). A malformed `traceparent` is ignored, as the W3C Trace Context specification asks: the run starts untraced.",
        params: WorkflowParams,
        querystring: NoQuery,
        body: StartRunBody,
        response: apiResponses(
          { 202: RunStarted },
          {
            403: true,
            404: "No workflow registered under this name.",
            409: "This server has no bus and store writer to run workflows with.",
            503: "`draining`: the server is shutting down and starts no new runs (start it on another instance, or after the restart).",
          },
          { body: true },
        ),
      },
      preValidation: missingBodyIsEmpty,
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "write");
      if (who === undefined) return reply;
      const wf = ctx.workflows.get(request.params.name);
      if (wf === undefined) return sendError(reply, 404, "not_found", `no workflow "${request.params.name}"`);
      if (ctx.lifecycle.draining) {
        return sendError(reply, 503, "draining", `the server is shutting down and starts no new runs; start "${wf.name}" on another instance or after the restart`);
      }
      const { bus, writer } = ctx;
      if (bus === undefined || writer === undefined) {
        return sendError(reply, 409, "conflict", "this server has no bus and store writer to run workflows with");
      }
      const runId = randomUUID();
      let stop = (): void => undefined;
      const first = new Promise<RuntrailEvent>((resolve) => (stop = bus.onEvent(resolve, { runId })));
      const trace = incomingTrace(request);
      const handle = wf.start(request.body?.input, { accountId: who.accountId, runId, bus, ...trace });
      holdHandle(ctx, who.accountId, handle);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), FIRST_EVENT_TIMEOUT_MS)));
      const event = await Promise.race([first, timeout]);
      clearTimeout(timer);
      stop();
      if (event !== undefined) await writer.flush();
      return reply.code(202).send({ runId, workflow: wf.name });
    },
  );

  app.post(
    "/api/runs/:runId/cancel",
    {
      schema: {
        tags: ["runs"],
        summary: "Cancel a run this server is executing",
        params: RunParams,
        querystring: NoQuery,
        body: CancelBody,
        response: apiResponses(
          { 202: RunCancelled },
          { 403: true, 404: "No run with this id in the token's account.", 409: "The run has ended, or another process is executing it." },
          { body: true },
        ),
      },
      preValidation: missingBodyIsEmpty,
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "write");
      if (who === undefined) return reply;
      const { runId } = request.params;
      const local = ctx.handles.get(runId);
      if (local !== undefined && local.accountId === who.accountId) {
        local.handle.cancel(request.body?.reason ?? "cancelled through the API");
        return reply.code(202).send({ runId, cancelled: true });
      }
      const run = await ctx.store.getRun(who.accountId, runId);
      if (run === undefined) return runNotFound(reply, runId);
      if (isRunFinished(run.status)) return sendError(reply, 409, "conflict", `run "${runId}" has already ${run.status === "cancelled" ? "been cancelled" : run.status}`);
      return sendError(reply, 409, "conflict", `run "${runId}" is not executing in this server`);
    },
  );

  app.post(
    "/api/stream-tokens",
    {
      schema: {
        tags: ["streams"],
        summary: "A short-lived signed token for `?token=` on stream routes",
        querystring: NoQuery,
        body: StreamTokenBody,
        response: apiResponses({ 201: StreamTokenIssued }, { 404: "`runId` names no run in the token's account." }, { body: true }),
      },
      preValidation: missingBodyIsEmpty,
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "read");
      if (who === undefined) return reply;
      const { runId, ttlSeconds = 300 } = request.body ?? {};
      if (runId !== undefined && !(await runExists(ctx, who.accountId, runId))) return runNotFound(reply, runId);
      const expiresAt = Date.now() + Math.min(ttlSeconds * 1_000, ctx.auth.maxStreamTokenTtlMs);
      const token = ctx.auth.signer.sign({ accountId: who.accountId, expiresAt, ...(runId === undefined ? {} : { runId }), ...(who.tokenId === undefined ? {} : { tokenId: who.tokenId }) });
      return reply.code(201).send({ token, expiresAt, ...(runId === undefined ? {} : { runId }) });
    },
  );
}
