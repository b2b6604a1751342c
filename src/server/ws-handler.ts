/**
 * The WebSocket endpoint `/api/ws` (protocol in `ws-protocol.ts`). The upgrade is authenticated
 * like a stream route (Bearer header or `?token=`), and refused with an HTTP status otherwise.
 * Each subscription is a {@link pumpStream} loop. A client whose send buffer passes
 * `wsMaxBufferedBytes` (or stays above half of it for `wsSlowTimeoutMs`) gets a `slow_consumer`
 * error per subscription with the position to resume from, and is closed: the server never holds
 * more than that bound plus one page per client.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { authenticate, AuthError, type Principal } from "./server-auth.js";
import type { ServerContext } from "./server-context.js";
import { pumpStream, type StreamSink } from "./stream-pump.js";
import { accountSource, runSource, type StreamSource } from "./stream-source.js";
import { parseClientMessage, type ServerMessage, type SubscribeMessage, type WsErrorCode } from "./ws-protocol.js";

const SLOW_CLOSE_CODE = 4008;
const TERMINATE_AFTER_MS = 5_000;

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
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/api/ws") return refuse(socket, 404, "Not Found", { error: "not_found", message: "no WebSocket endpoint here; use /api/ws" });
    const token = url.searchParams.get("token") ?? undefined;
    authenticate(ctx.auth, request.headers, token, "stream").then(
      (principal) => wss.handleUpgrade(request, socket, head, (ws) => connection(ws, principal, ctx, log)),
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

function connection(ws: WebSocket, principal: Principal, ctx: ServerContext, log: { error(obj: object, msg: string): void }): void {
  const subs = new Map<string, Subscription>();
  let closing = false;
  const send = (message: ServerMessage): void => {
    if (!closing) ws.send(JSON.stringify(message));
  };
  const error = (code: WsErrorCode, message: string, sub?: string): void => send({ type: "error", code, message, ...(sub === undefined ? {} : { sub }) });

  const slow = (): void => {
    if (closing) return;
    for (const [sub, state] of subs) {
      send({ type: "error", code: "slow_consumer", message: "the client reads too slowly; reconnect and resubscribe after resumeAfter", sub, resumeAfter: state.position });
    }
    closing = true;
    for (const state of subs.values()) state.controller.abort();
    subs.clear();
    ws.close(SLOW_CLOSE_CODE, "slow consumer");
    setTimeout(() => ws.terminate(), TERMINATE_AFTER_MS).unref();
  };

  /**
   * Lets a client that reads slower than a page arrives catch up: past half the bound, the pump
   * waits for the buffer to drain; past the bound, or still above half after `wsSlowTimeoutMs`,
   * the client is too slow and is closed. A client's memory is thus at most the bound plus one page.
   */
  const backpressure = async (signal: AbortSignal): Promise<void> => {
    const bound = ctx.wsMaxBufferedBytes;
    if (ws.bufferedAmount <= bound / 2) return;
    if (ws.bufferedAmount > bound) return slow();
    const deadline = Date.now() + ctx.wsSlowTimeoutMs;
    while (ws.bufferedAmount > bound / 2 && !signal.aborted && !closing) {
      // `ws` has no public drain event; this poll runs only while the client is behind.
      if (Date.now() >= deadline || ws.bufferedAmount > bound) return slow();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  /** Sets a subscription up and answers `subscribed`; its pump then runs in the background. */
  const subscribe = async (message: SubscribeMessage): Promise<void> => {
    const runId = message.runId;
    if (runId === undefined && message.filter === undefined) return error("missing_run_id", "subscribe needs a runId or a filter");
    const sub = message.sub ?? runId ?? "account";
    if (subs.has(sub)) return error("duplicate_subscription", `subscription "${sub}" exists; unsubscribe first or choose another sub`, sub);
    if (subs.size >= ctx.wsMaxSubscriptions) return error("too_many_subscriptions", `at most ${ctx.wsMaxSubscriptions} subscriptions per connection`, sub);
    if (principal.runId !== undefined && (runId !== principal.runId || message.filter !== undefined)) {
      return error("forbidden", "this stream token is bound to another run", sub);
    }
    let source: StreamSource;
    if (runId !== undefined) {
      if ((await ctx.store.getRun(principal.accountId, runId)) === undefined) return error("not_found", `no run "${runId}"`, sub);
      source = runSource(ctx.store, principal.accountId, runId, ctx.pageSize);
    } else {
      source = accountSource(ctx.store, principal.accountId, message.filter ?? {}, ctx.pageSize);
    }
    if (closing) return;
    const state: Subscription = { controller: new AbortController(), position: message.after ?? 0 };
    subs.set(sub, state);
    send({ type: "subscribed", sub, ...(runId === undefined ? { filter: message.filter } : { runId }), after: state.position });
    const sink: StreamSink = {
      send(items, phase) {
        for (const item of items) {
          if (closing) return;
          ws.send(`{"type":"${phase}","sub":${JSON.stringify(sub)},"id":${item.id},"event":${JSON.stringify(item.event)}}`);
          state.position = item.id;
        }
        return backpressure(state.controller.signal);
      },
      heartbeat() {
        if (!closing) ws.ping();
      },
      end(endedRunId, lastSeq) {
        send({ type: "end", sub, runId: endedRunId, lastSeq });
      },
    };
    pumpStream({ store: ctx.store, hub: ctx.hub, source, after: state.position, sink, signal: state.controller.signal, heartbeatMs: ctx.heartbeatMs })
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
