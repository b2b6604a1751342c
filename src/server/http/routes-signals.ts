/**
 * `POST /api/runs/:runId/signals/:name`: delivers the signal a step waits for (`ctx.waitFor`). A
 * run this server holds gets it at once; a suspended run no process holds is resumed here from
 * its stored trail (the server needs the workflow registered, `serve --workflows`), then gets it.
 * A server with no writer but a signal dispatcher (`serve --nats`) queues it for a worker instead.
 */
import { SignalNotAwaitedError, SignalPayloadError } from "../../engine/index.js";
import { isRunFinished } from "../../store/index.js";
import { Type } from "@sinclair/typebox";
import { apiResponses, SignalAccepted, SignalQueued } from "./api-responses.js";
import { NoQuery, SignalBody, SignalParams } from "./api-schemas.js";
import { sendError } from "./error-responses.js";
import { principalOf, runNotFound } from "./route-guards.js";
import { handleReaching, heldHandle, holdFromTrail } from "./run-hold.js";
import { bodyField, queueSignal } from "./signal-queue.js";
import type { App, ServerContext } from "../server-context.js";

/**
 * Registers the signal route.
 *
 * @example
 * registerSignalRoutes(app, ctx);
 */
export function registerSignalRoutes(app: App, ctx: ServerContext): void {
  app.post(
    "/api/runs/:runId/signals/:name",
    {
      schema: {
        tags: ["runs"],
        summary: "Deliver a signal a waiting step asked for; resumes the run from its trail if no process holds it (a server with no writer, serve --nats, queues it for a worker: queued: true)",
        params: SignalParams,
        querystring: NoQuery,
        body: SignalBody,
        response: apiResponses(
          { 202: Type.Union([SignalAccepted, SignalQueued]) },
          {
            403: true,
            404: "No run with this id in the token's account.",
            409: "The run has ended, does not wait for this signal, or cannot be resumed here (workflow not registered, another version, or another process holds or has just claimed it).",
          },
          { body: true },
        ),
      },
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "write");
      if (who === undefined) return reply;
      const { runId, name } = request.params;
      const by = who.via === "open" ? "api" : `api-token (account ${who.accountId})`;
      let handle = heldHandle(ctx, who.accountId, runId);
      let resumedFromTrail = false;
      if (handle === undefined) {
        const run = await ctx.store.getRun(who.accountId, runId);
        if (run === undefined) return runNotFound(reply, runId);
        // A sub-workflow run's waits are reached through the run at the top of its tree.
        handle = await handleReaching(ctx, run);
        if (handle === undefined) {
          if (isRunFinished(run.status)) return sendError(reply, 409, "conflict", `run "${runId}" has ${run.status === "cancelled" ? "been cancelled" : run.status}: it waits for no signal`);
          // A running run is another process's: resuming it here would run its steps twice.
          if (run.status !== "suspended") return sendError(reply, 409, "conflict", `run "${runId}" is running in another process, and this server does not hold it`);
          // No writer to resume it with here: a worker resumes it from the trail (serve --nats).
          if (ctx.writer === undefined && ctx.dispatchSignal !== undefined) return queueSignal(ctx, ctx.dispatchSignal, reply, run, { name, payload: request.body, by });
          const held = await holdFromTrail(ctx, run);
          if ("refused" in held) return sendError(reply, 409, "conflict", held.refused);
          handle = held.handle;
          resumedFromTrail = true;
        }
      }
      try {
        await handle.signal(name, request.body, { by });
      } catch (error) {
        if (error instanceof SignalPayloadError) return sendError(reply, 400, "bad_request", error.message, bodyField(error.field));
        if (error instanceof SignalNotAwaitedError) return sendError(reply, 409, "conflict", error.message);
        throw error;
      }
      // Answer once the signal is stored, so a reader of the trail sees it.
      await ctx.writer?.flush();
      return reply.code(202).send({ runId, signal: name, resumedFromTrail });
    },
  );
}
