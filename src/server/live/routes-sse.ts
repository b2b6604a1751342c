/**
 * Server-Sent Events: `GET /api/runs/:runId/stream` (id = seq) and `GET /api/stream` (account-wide,
 * id = the store's global cursor). `Last-Event-ID` (a browser's automatic reconnect) wins over
 * `?after=`. A run stream ends with `event: end` once the run finished and all was sent; a
 * comment line is sent every heartbeat interval. A page of events is one write (each event's JSON
 * made once, shared by every stream). The pump waits for the socket to drain before it reads the
 * next page, so memory stays at one page per client; a client that takes nothing for
 * `live.sseDrainTimeoutMs` is closed (it resumes by Last-Event-ID). Open streams are capped per
 * token and per server (429 naming the cap). A stream resumed past the run's last stored event
 * gets `event: error` `cursor_ahead` with the stored last seq, and ends.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { OutgoingHttpHeaders } from "node:http";
import { apiResponses, EventStream } from "../http/api-responses.js";
import { AccountStreamQuery, RunParams, RunStreamQuery } from "../http/api-schemas.js";
import { checkRunScope, AuthError } from "../auth/principal.js";
import { principalOf, runExists, runNotFound } from "../http/route-guards.js";
import { badTypePattern, sendError } from "../http/error-responses.js";
import type { App, ServerContext } from "../server-context.js";
import { waitForDrain } from "./stream-drain.js";
import { streamCapBody, streamKeyOf, type StreamSlot } from "./stream-limits.js";
import { cursorAheadMessage, pumpStream, type StreamSink } from "./stream-pump.js";
import { accountSource, runSource, type StreamSource } from "./stream-source.js";

const LAST_EVENT_ID = /^\d{1,16}$/;

/** The resume position: `Last-Event-ID` if sent, else `after`, else 0; undefined if malformed. */
function resumeFrom(request: FastifyRequest, after: number | undefined): number | undefined {
  const header = request.headers["last-event-id"];
  if (header === undefined || header === "") return after ?? 0;
  // An id holds digits only; anything else (CR/LF included) is refused, never echoed back.
  if (typeof header !== "string" || !LAST_EVENT_ID.test(header)) return undefined;
  return Number(header);
}

function frame(id: number, data: string): string {
  return `id: ${id}\ndata: ${data}\n\n`;
}

/**
 * Takes a slot for one more stream of the requester's token, or answers 429 naming the cap that
 * is reached; undefined then.
 */
function takeSlot(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, queryToken: string | undefined): StreamSlot | undefined {
  const { key, field } = streamKeyOf(request.headers, queryToken);
  const slot = ctx.live.limits.take(key);
  if (!("cap" in slot)) return slot;
  const body = streamCapBody(slot, field);
  void reply.header("retry-after", "1");
  sendError(reply, 429, body.error, body.message, body.field);
  return undefined;
}

async function serve(ctx: ServerContext, reply: FastifyReply, source: StreamSource, after: number, slot: StreamSlot): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.once("close", () => slot.release());
  // Headers set by hooks (CORS) live on the reply; a hijacked reply must copy them.
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
  raw.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  raw.write("retry: 1000\n\n");
  const controller = new AbortController();
  const { signal } = controller;
  const stop = (): void => controller.abort();
  raw.on("close", stop);
  ctx.shutdown.addEventListener("abort", stop, { once: true });
  if (ctx.shutdown.aborted) stop();
  const drainTimeoutMs = ctx.live.sseDrainTimeoutMs;
  // A client that stopped reading: what was written to it stays in this process until its socket
  // takes it, so after `sseDrainTimeoutMs` the response is destroyed (not ended: ending waits for
  // the unsent data) and that memory goes. The client resumes by Last-Event-ID.
  const cut = (): void => {
    if (signal.aborted) return;
    reply.log.warn({ drainTimeoutMs }, "SSE stream closed: its client took nothing for the drain timeout");
    stop();
    raw.destroy();
  };
  // When the socket was first seen not drained while the stream was idle (heartbeats only).
  let stalledSince: number | undefined;
  const sink: StreamSink = {
    send(items) {
      let chunk = "";
      for (const item of items) chunk += frame(item.id, item.body);
      if (raw.write(chunk)) return undefined;
      return waitForDrain(raw, signal, drainTimeoutMs).then((outcome) => {
        if (outcome === "timeout") cut();
      });
    },
    heartbeat() {
      if (!raw.writableNeedDrain) stalledSince = undefined;
      else if (stalledSince === undefined) stalledSince = Date.now();
      else if (Date.now() - stalledSince >= drainTimeoutMs) return cut();
      raw.write(": heartbeat\n\n");
    },
    end(runId, lastSeq) {
      raw.write(`event: end\ndata: ${JSON.stringify({ runId, lastSeq })}\n\n`);
    },
    cursorAhead(resumedAfter, storedLastSeq) {
      raw.write(`event: error\ndata: ${JSON.stringify({ error: "cursor_ahead", message: cursorAheadMessage(resumedAfter, storedLastSeq), lastSeq: storedLastSeq })}\n\n`);
    },
  };
  try {
    await pumpStream({ store: ctx.store, hub: ctx.live.hub, source, after, sink, signal, heartbeatMs: ctx.live.heartbeatMs });
  } catch (error) {
    // Headers are gone: say it in the stream, then close; the client resumes with Last-Event-ID.
    reply.log.error({ err: error }, "stream failed");
    if (!signal.aborted) raw.write(`event: error\ndata: ${JSON.stringify({ error: "internal", message: "the stream failed; reconnect to resume" })}\n\n`);
  } finally {
    ctx.shutdown.removeEventListener("abort", stop);
    raw.end();
  }
}

/**
 * Registers the two SSE routes.
 *
 * @example
 * registerSseRoutes(app, ctx);
 */
export function registerSseRoutes(app: App, ctx: ServerContext): void {
  app.get(
    "/api/runs/:runId/stream",
    {
      schema: {
        tags: ["streams"],
        summary: "A run's events as SSE (id = seq), ending with `event: end`",
        params: RunParams,
        querystring: RunStreamQuery,
        response: {
          ...apiResponses({}, { 403: "The stream token is bound to another run.", 404: "No run with this id in the token's account.", 429: true }),
          200: EventStream("The run's events after `after` (or Last-Event-ID), then live ones, then `event: end`."),
        },
      },
    },
    async (request, reply) => {
      const who = await principalOf(ctx, request, reply, "stream", request.query.token);
      if (who === undefined) return reply;
      const { runId } = request.params;
      try {
        checkRunScope(who, runId);
      } catch (error) {
        if (error instanceof AuthError) return sendError(reply, error.status, error.code, error.message);
        throw error;
      }
      const after = resumeFrom(request, request.query.after);
      if (after === undefined) return sendError(reply, 400, "bad_request", "Last-Event-ID must be a non-negative integer", "headers.last-event-id");
      if (!(await runExists(ctx, who.accountId, runId))) return runNotFound(reply, runId);
      const slot = takeSlot(ctx, request, reply, request.query.token);
      if (slot === undefined) return reply;
      await serve(ctx, reply, runSource(ctx.live, who.accountId, runId), after, slot);
      return reply;
    },
  );

  app.get(
    "/api/stream",
    {
      schema: {
        tags: ["streams"],
        summary: "The account's events as SSE (id = global cursor)",
        querystring: AccountStreamQuery,
        response: {
          ...apiResponses({}, { 403: "The stream token is bound to one run's stream.", 429: true }),
          200: EventStream("The account's events after `after` (or Last-Event-ID), matching the filters, then live ones."),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const who = await principalOf(ctx, request, reply, "stream", q.token);
      if (who === undefined) return reply;
      if (who.runId !== undefined) return sendError(reply, 403, "forbidden", "this stream token is bound to one run's stream");
      const after = resumeFrom(request, q.after);
      if (after === undefined) return sendError(reply, 400, "bad_request", "Last-Event-ID must be a non-negative integer", "headers.last-event-id");
      const bad = badTypePattern(q.types);
      if (bad !== undefined) return sendError(reply, 400, "bad_request", bad.message, bad.field);
      const filter = {
        ...(q.types === undefined ? {} : { types: q.types }),
        ...(q.workflow === undefined ? {} : { workflow: q.workflow }),
        ...(q.runId === undefined ? {} : { runId: q.runId }),
      };
      const slot = takeSlot(ctx, request, reply, q.token);
      if (slot === undefined) return reply;
      await serve(ctx, reply, accountSource(ctx.live, who.accountId, filter), after, slot);
      return reply;
    },
  );
}
