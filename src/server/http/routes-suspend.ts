/**
 * Pausing a run from outside: `POST /api/runs/:runId/suspend` and `/resume`, and
 * `GET /api/runs/:runId/controls`, which tells the dashboard which of these (and a signal) this
 * token may do here. A run is suspended only by the process that executes it, so suspend needs a
 * run this server holds. A paused run no process holds (its process exited) is resumed here from
 * its stored trail when the workflow is registered (`serve --workflows`), as a signal is.
 */
import type { FastifyReply } from "fastify";
import { inflightOf } from "../../engine/index.js";
import { isRunFinished, type RunRecord, type RunStatus } from "../../store/index.js";
import type { Principal } from "../auth/principal.js";
import { apiResponses, RunControls, RunResumeAccepted, RunSuspendAccepted } from "./api-responses.js";
import { NoQuery, RunParams, SuspendBody } from "./api-schemas.js";
import { sendError } from "./error-responses.js";
import { missingBodyIsEmpty, principalOf, runNotFound } from "./route-guards.js";
import { cannotResumeHere, handleReaching, heldHandle, holdFromTrail } from "./run-hold.js";
import type { App, ServerContext } from "../server-context.js";

const NOT_FOUND = "No run with this id in the token's account.";

/** Who asked, as `run.suspended` / `run.resumed` record it: the token, never its secret. */
function requester(who: Principal): string {
  if (who.via === "open") return "api";
  return who.tokenId === undefined ? `api-token (account ${who.accountId})` : `api-token ${who.tokenId} (account ${who.accountId})`;
}


/** The 409 for a run that has ended. */
function ended(reply: FastifyReply, run: RunRecord): FastifyReply {
  return sendError(reply, 409, "conflict", `run "${run.runId}" has ${run.status === "cancelled" ? "been cancelled" : run.status}: it can be neither suspended nor resumed`);
}

/**
 * Registers `POST /api/runs/:runId/suspend`, `POST /api/runs/:runId/resume` and `GET /api/runs/:runId/controls`.
 *
 * @example
 * registerSuspendRoutes(app, ctx);
 */
export function registerSuspendRoutes(app: App, ctx: ServerContext): void {
  app.post(
    "/api/runs/:runId/suspend",
    {
      schema: {
        tags: ["runs"],
        summary: "Suspend a run this server executes: no new step starts until it is resumed",
        description: "Steps already running finish and their events are stored. `run.suspended` records the reason and the token that asked.",
        params: RunParams,
        querystring: NoQuery,
        body: SuspendBody,
        response: apiResponses(
          { 202: RunSuspendAccepted },
          { 403: true, 404: NOT_FOUND, 409: "The run has ended, is suspended already, or another process executes it." },
          { body: true },
        ),
      },
      preValidation: missingBodyIsEmpty,
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "write");
      if (who === undefined) return reply;
      const { runId } = request.params;
      const handle = heldHandle(ctx, who.accountId, runId);
      if (handle === undefined) {
        const run = await ctx.store.getRun(who.accountId, runId);
        if (run === undefined) return runNotFound(reply, runId);
        if (isRunFinished(run.status)) return ended(reply, run);
        if (run.status === "suspended") return sendError(reply, 409, "conflict", `run "${runId}" is suspended already${run.suspension?.waitingFor === undefined ? "" : ` (it waits for signal "${run.suspension.waitingFor}")`}`);
        return sendError(reply, 409, "conflict", `run "${runId}" is executed by another process, not this server: suspend it there`);
      }
      const reason = request.body?.reason ?? "suspended through the API";
      if (!handle.suspend(reason, { by: requester(who) })) {
        return sendError(reply, 409, "conflict", `run "${runId}" is suspended already, or has just ended`);
      }
      // Answer once the event is stored, so the run's row and trail say suspended.
      await ctx.writer?.flush();
      return reply.code(202).send({ runId, suspended: true });
    },
  );

  app.post(
    "/api/runs/:runId/resume",
    {
      schema: {
        tags: ["runs"],
        summary: "Resume a suspended run; goes on from its trail if no process holds it",
        description:
          "Ends a pause asked with `suspend` (by the API, the library or a control policy). A run that only waits for a signal is resumed by that signal " +
          "(`POST /api/runs/{runId}/signals/{name}`), not here: the 409 names the signal.",
        params: RunParams,
        querystring: NoQuery,
        body: SuspendBody,
        response: apiResponses(
          { 202: RunResumeAccepted },
          {
            403: true,
            404: NOT_FOUND,
            409: "The run has ended, is not suspended, only waits for a signal, or cannot be resumed here (another process holds it; workflow not registered; another version).",
          },
          { body: true },
        ),
      },
      preValidation: missingBodyIsEmpty,
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "write");
      if (who === undefined) return reply;
      const { runId } = request.params;
      const options = { by: requester(who), reason: request.body?.reason ?? "resumed through the API" };
      let handle = heldHandle(ctx, who.accountId, runId);
      let resumedFromTrail = false;
      if (handle === undefined) {
        const run = await ctx.store.getRun(who.accountId, runId);
        if (run === undefined) return runNotFound(reply, runId);
        if (isRunFinished(run.status)) return ended(reply, run);
        if (run.status !== "suspended") return sendError(reply, 409, "conflict", `run "${runId}" is not suspended (it is ${run.status}, in another process)`);
        const waiting = run.suspension?.waitingFor;
        if (waiting !== undefined) return sendError(reply, 409, "conflict", `run "${runId}" waits for signal "${waiting}": send it (POST /api/runs/${runId}/signals/${waiting}) to resume the run`);
        const held = await holdFromTrail(ctx, run);
        if ("refused" in held) return sendError(reply, 409, "conflict", held.refused);
        handle = held.handle;
        resumedFromTrail = true;
      }
      if (!handle.resume(options)) {
        const waits = handle.waitingFor();
        if (waits.length > 0) return sendError(reply, 409, "conflict", `run "${runId}" is not paused: it waits for signal "${waits[0]}"; send it (POST /api/runs/${runId}/signals/${waits[0]}) to resume the run`);
        return sendError(reply, 409, "conflict", `run "${runId}" is not suspended`);
      }
      await ctx.writer?.flush();
      return reply.code(202).send({ runId, resumed: true, resumedFromTrail });
    },
  );

  app.get(
    "/api/runs/:runId/controls",
    {
      schema: {
        tags: ["runs"],
        summary: "What this token may do to the run on this server now (suspend, resume, signal, cancel)",
        params: RunParams,
        querystring: NoQuery,
        response: apiResponses({ 200: RunControls }, { 404: NOT_FOUND }),
      },
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "read");
      if (who === undefined) return reply;
      const { runId } = request.params;
      const run = await ctx.store.getRun(who.accountId, runId);
      // A held run that has just ended stays in the handles until its result settles: the row says so first.
      // A sub-workflow run is reached through the top of its tree when this server holds that.
      const handle = run === undefined ? heldHandle(ctx, who.accountId, runId) : isRunFinished(run.status) ? undefined : await handleReaching(ctx, run);
      if (run === undefined && handle === undefined) return runNotFound(reply, runId);
      const write = !who.readOnly;
      // Who suspended it and why, the wait's deadline and schema: the row's (written with the event).
      const suspension = run?.status === "suspended" && run.suspension !== undefined ? { suspension: run.suspension } : {};
      if (handle !== undefined) {
        // The live run, not the row (which lags by the writer's batch).
        const paused = inflightOf(handle.history()).paused;
        const waitingFor = handle.waitingFor();
        const status: RunStatus = paused || waitingFor.length > 0 ? "suspended" : "running";
        return { runId, status, held: true, readOnly: who.readOnly, paused, waitingFor, ...suspension, can: { suspend: write && !paused, resume: write && paused, signal: write && waitingFor.length > 0, cancel: write } };
      }
      const stored = run!;
      const suspended = stored.status === "suspended";
      const waitingFor = suspended && stored.suspension?.waitingFor !== undefined ? [stored.suspension.waitingFor] : [];
      const paused = suspended && waitingFor.length === 0;
      const resumable = suspended && cannotResumeHere(ctx, stored) === undefined;
      return { runId, status: stored.status, held: false, readOnly: who.readOnly, paused, waitingFor, ...suspension, can: { suspend: false, resume: write && paused && resumable, signal: write && waitingFor.length > 0 && resumable, cancel: false } };
    },
  );
}
