/**
 * The WebSocket endpoint `/api/ws` (protocol in `ws-protocol.ts`). The upgrade is authenticated
 * like a stream route (Bearer header or `?token=`), and refused with an HTTP status otherwise.
 * Each subscription is a {@link pumpStream} loop; a page of events goes out as one socket write of
 * one buffer (`ws-frames.ts`), encoded once and written to every client whose subscription has
 * the same name (the common case of many clients on one run) in the same round of sends, so a page
 * costs the server a reference, not a copy per client. Before its next page, a subscription waits until the socket has taken the last
 * one (`drain`), so a client holds at most about a page of unsent events in the server. A client
 * whose send buffer passes `ws.maxBufferedBytes`, or that has not taken a page within
 * `ws.slowTimeoutMs`, is slow: its subscriptions stop (nothing more is queued for it), it gets a
 * `slow_consumer` error per subscription with the position to resume from, then close code 4008
 * (the reason names the position too when there is one subscription). Those few hundred bytes
 * queue behind at most about a page, and the connection stays open for `ws.slowCloseGraceMs` so
 * that a client that reads again gets them; then it is cut, and what it held goes with it.
 * Connections count against the open-stream caps (per token, per server) with SSE streams: one
 * over a cap is refused with 429.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type ServerOptions, type WebSocket } from "ws";
import { authenticate, AuthError, type Principal } from "../auth/principal.js";
import { runExists } from "../http/route-guards.js";
import type { ServerContext } from "../server-context.js";
import { waitForDrain } from "../live/stream-drain.js";
import { cursorAheadMessage, pumpStream, type StreamSink } from "../live/stream-pump.js";
import { accountSource, runSource, type StreamSource } from "../live/stream-source.js";
import { streamCapBody, streamKeyOf } from "../live/stream-limits.js";
import { wirePage } from "./ws-frames.js";
import { parseClientMessage, type ServerMessage, type SubscribeMessage, type WsErrorCode } from "./ws-protocol.js";

const SLOW_CLOSE_CODE = 4008;
interface Subscription {
  readonly controller: AbortController;
  /** The last position handed to `ws.send`. */
  position: number;
}

function refuse(socket: Duplex, status: number, reason: string, body: object): void {
  const json = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
}

/**
 * Attaches `/api/ws` to the HTTP server; returns what closes it.
 *
 * @example
 * const closeWs = attachWebSocket(app.server, ctx, app.log);
 */
export function attachWebSocket(
  server: Server,
  ctx: ServerContext,
  log: { error(obj: object, msg: string): void },
  maxPayload = 64 * 1024,
): () => Promise<void> {
  // `closeTimeout`: how long a closing handshake may take before ws cuts the socket, so a client
  // closed as slow has the grace to read its `slow_consumer` message and the close frame.
  // (ws has the option since 8.x; its type package does not declare it yet.)
  const serverOptions: ServerOptions & { readonly closeTimeout: number } = { noServer: true, maxPayload, closeTimeout: ctx.ws.slowCloseGraceMs };
  const wss = new WebSocketServer(serverOptions);
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/api/ws") return refuse(socket, 404, "Not Found", { error: "not_found", message: "no WebSocket endpoint here; use /api/ws" });
    const token = url.searchParams.get("token") ?? undefined;
    authenticate(ctx.auth, request.headers, token, "stream").then(
      (principal) => {
        const { key, field } = streamKeyOf(request.headers, token);
        const slot = ctx.live.limits.take(key);
        if ("cap" in slot) return refuse(socket, 429, "Too Many Requests", streamCapBody(slot, field));
        socket.once("close", () => slot.release());
        wss.handleUpgrade(request, socket, head, (ws) => connection(ws, socket, principal, ctx, log));
      },
      (error: unknown) => {
        if (error instanceof AuthError) refuse(socket, error.status, error.status === 401 ? "Unauthorized" : "Forbidden", { error: error.code, message: error.message });
        else refuse(socket, 500, "Internal Server Error", { error: "internal", message: "authentication failed" });
      },
    );
  };
  server.on("upgrade", onUpgrade);
  return () => {
    server.off("upgrade", onUpgrade);
    for (const client of wss.clients) client.terminate();
    return new Promise((resolve) => wss.close(() => resolve()));
  };
}

/** `socket` is the one `ws` writes to: corking it around a page makes the page one write. */
function connection(ws: WebSocket, socket: Duplex, principal: Principal, ctx: ServerContext, log: { error(obj: object, msg: string): void }): void {
  const subs = new Map<string, Subscription>();
  let closing = false;
  const send = (message: ServerMessage): void => {
    if (!closing) ws.send(JSON.stringify(message));
  };
  const error = (code: WsErrorCode, message: string, sub?: string): void => send({ type: "error", code, message, ...(sub === undefined ? {} : { sub }) });

  const slow = (): void => {
    if (closing) return;
    // The subscriptions stop first, so nothing more is queued behind the messages below.
    for (const state of subs.values()) state.controller.abort();
    const positions = [...subs].map(([sub, state]) => [sub, state.position] as const);
    for (const [sub, position] of positions) {
      send({ type: "error", code: "slow_consumer", message: "the client reads too slowly; reconnect and resubscribe after resumeAfter", sub, resumeAfter: position });
    }
    closing = true;
    subs.clear();
    const only = positions.length === 1 ? positions[0] : undefined;
    // A close reason holds at most 123 bytes: the position of a single subscription fits.
    const reason = only === undefined ? "slow consumer" : `slow consumer; resume after ${only[1]}`;
    ws.close(SLOW_CLOSE_CODE, Buffer.byteLength(reason) <= 123 ? reason : "slow consumer");
    // ws cuts the socket after its close timeout (`slowCloseGraceMs`); this is the bound if that fails.
    const cut = setTimeout(() => ws.terminate(), ctx.ws.slowCloseGraceMs + 1_000);
    cut.unref();
    ws.once("close", () => clearTimeout(cut));
  };

  /**
   * Paces a subscription to its client: after a page, the pump waits until the socket has taken
   * it (the socket's own `drain`; `ws` writes to it directly), so the server holds at most about
   * one page per client. Past the bound, or not drained within `wsSlowTimeoutMs`, the client is
   * too slow and is closed.
   */
  // Nothing to wait for (the usual case) returns nothing, not a resolved promise: a live stream
  // sends once per wake-up, and the pump then need not await.
  const backpressure = (signal: AbortSignal): Promise<void> | undefined => {
    if (ws.bufferedAmount > ctx.ws.maxBufferedBytes) {
      slow();
      return undefined;
    }
    if (!socket.writableNeedDrain) return undefined;
    return waitForDrain(socket, signal, ctx.ws.slowTimeoutMs).then((outcome) => {
      if (outcome === "timeout" && !closing) slow();
    });
  };

  /** Sets a subscription up and answers `subscribed`; its pump then runs in the background. */
  const subscribe = async (message: SubscribeMessage): Promise<void> => {
    const runId = message.runId;
    if (runId === undefined && message.filter === undefined) return error("missing_run_id", "subscribe needs a runId or a filter");
    const sub = message.sub ?? runId ?? "account";
    if (subs.has(sub)) return error("duplicate_subscription", `subscription "${sub}" exists; unsubscribe first or choose another sub`, sub);
    if (subs.size >= ctx.ws.maxSubscriptions) return error("too_many_subscriptions", `at most ${ctx.ws.maxSubscriptions} subscriptions per connection`, sub);
    if (principal.runId !== undefined && (runId !== principal.runId || message.filter !== undefined)) {
      return error("forbidden", "this stream token is bound to another run", sub);
    }
    let source: StreamSource;
    if (runId !== undefined) {
      if (!(await runExists(ctx, principal.accountId, runId))) return error("not_found", `no run "${runId}"`, sub);
      source = runSource(ctx.live, principal.accountId, runId);
    } else {
      source = accountSource(ctx.live, principal.accountId, message.filter ?? {});
    }
    if (closing) return;
    const state: Subscription = { controller: new AbortController(), position: message.after ?? 0 };
    subs.set(sub, state);
    send({ type: "subscribed", sub, ...(runId === undefined ? { filter: message.filter } : { runId }), after: state.position });
    // The message of ws-protocol.ts, `{"type":…,"sub":…,"id":…,"event":…}`, around the event's JSON.
    const heads = { history: `{"type":"history","sub":${JSON.stringify(sub)},"id":`, live: `{"type":"live","sub":${JSON.stringify(sub)},"id":` };
    const sink: StreamSink = {
      send(items, phase) {
        if (closing || items.length === 0) return;
        // The page's frames in one write (`ws-frames.ts`); the messages `ws.send` writes (subscribed,
        // end, errors) go to the same socket synchronously, so the order holds.
        socket.write(wirePage(items, heads[phase]));
        state.position = items.at(-1)!.id;
        return backpressure(state.controller.signal);
      },
      heartbeat() {
        if (!closing) ws.ping();
      },
      end(endedRunId, lastSeq) {
        send({ type: "end", sub, runId: endedRunId, lastSeq });
      },
      cursorAhead(resumedAfter, storedLastSeq) {
        send({ type: "error", code: "cursor_ahead", message: cursorAheadMessage(resumedAfter, storedLastSeq), sub, lastSeq: storedLastSeq });
      },
    };
    pumpStream({ store: ctx.store, hub: ctx.live.hub, source, after: state.position, sink, signal: state.controller.signal, heartbeatMs: ctx.live.heartbeatMs })
      .catch((failure: unknown) => {
        log.error({ err: failure }, "websocket subscription failed");
        error("internal", "the subscription failed; resubscribe after your last id", sub);
      })
      .finally(() => {
        if (subs.get(sub) === state) subs.delete(sub);
      });
  };

  const handle = async (data: RawData, isBinary: boolean): Promise<void> => {
    if (closing) return;
    if (isBinary) return error("bad_json", "binary frames are not accepted; send JSON text");
    const message = parseClientMessage(data.toString());
    if ("error" in message) return error(message.error, message.message);
    if (message.op === "ping") return send({ type: "pong", ...(message.id === undefined ? {} : { id: message.id }) });
    if (message.op === "unsubscribe") {
      const state = subs.get(message.sub);
      if (state === undefined) return error("unknown_subscription", `no subscription "${message.sub}"`, message.sub);
      state.controller.abort();
      subs.delete(message.sub);
      return send({ type: "unsubscribed", sub: message.sub });
    }
    return subscribe(message);
  };

  // Messages are handled one after another, so answers come in the order of the requests.
  let queue = Promise.resolve();
  ws.on("message", (data, isBinary) => {
    queue = queue
      .then(() => handle(data, isBinary))
      .catch((failure: unknown) => {
        log.error({ err: failure }, "websocket message failed");
        error("internal", "the request failed");
      });
  });
  ws.on("close", () => {
    closing = true;
    for (const state of subs.values()) state.controller.abort();
    subs.clear();
  });
  ws.on("error", () => ws.terminate());
}
