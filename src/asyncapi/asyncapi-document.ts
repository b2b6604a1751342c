/**
 * The AsyncAPI 3 document of every channel the trail travels on: the server's SSE streams and
 * WebSocket, and the NATS JetStream subjects of the NATS bridge. Built from the event JSON
 * Schema, so it names every event type the code knows and cannot fall behind it.
 */
import { componentKey, eventComponents } from "./asyncapi-schemas.js";
import { wsClientMessages, wsServerMessages } from "./asyncapi-ws.js";

/** Options of {@link asyncApiDocument}. */
export interface AsyncApiOptions {
  /** The Runtrail server as clients reach it (`host[:port]`). Default `"localhost:3000"`. */
  readonly serverHost?: string;
  /** `https`/`wss` (true) or `http`/`ws`. Default false. */
  readonly secure?: boolean;
  /** The NATS server the bridge publishes to. Default `"localhost:4222"`. */
  readonly natsHost?: string;
  /** `info.version`. Default `"0.1.0"`. */
  readonly version?: string;
}

/** The NATS subject of an event: `runtrail.ev.<account>.<workflow>.<run>.<type>` (a `x.*` type spans more tokens). */
export const NATS_SUBJECT = "runtrail.ev.{accountId}.{workflow}.{runId}.{type}";

type JsonObject = Record<string, unknown>;
const ref = (path: string) => ({ $ref: path });
const refs = (base: string, keys: string[]) => keys.map((key) => ref(`#/${base}/${key}`));

/**
 * The AsyncAPI 3.1 document, as plain JSON.
 *
 * @example
 * writeFileSync("asyncapi.json", JSON.stringify(asyncApiDocument({ serverHost: "runtrail.example.com", secure: true })));
 */
export function asyncApiDocument(options: AsyncApiOptions = {}): JsonObject {
  const { schemas, messages, types } = eventComponents();
  const host = options.serverHost ?? "localhost:3000";
  const security = [ref("#/components/securitySchemes/bearer")];
  const sseEnd = { name: "end", title: "end", summary: "SSE `event: end`: the run ended and every event was sent.", contentType: "application/json", payload: { type: "object", required: ["runId", "lastSeq"], properties: { runId: { type: "string" }, lastSeq: { type: "integer", minimum: 0 } } } };
  const sseError = { name: "error", title: "error", summary: "SSE `event: error`, then the stream ends: `internal` (it failed; reconnect with Last-Event-ID), `token_revoked` (the token it was opened with was revoked; a reconnect with it is refused) or `cursor_ahead` (it resumed past the run's last stored event, `lastSeq`; resume from there).", contentType: "application/json", payload: { type: "object", required: ["error", "message"], properties: { error: { type: "string" }, message: { type: "string" }, lastSeq: { type: "integer", minimum: 0 } } } };
  const eventMessages = Object.fromEntries(types.map((type) => [componentKey(type), ref(`#/components/messages/${componentKey(type)}`)]));
  const runIdParameter = { description: "The run's id." };

  const channels: JsonObject = {
    runStream: {
      address: "/api/runs/{runId}/stream",
      title: "A run's events (SSE)",
      description: "`GET` with `Accept: text/event-stream`. Each event is one SSE frame whose `id` is its seq and `data` the event's JSON; resume with `Last-Event-ID` or `?after=`. Ends with `event: end` once the run finished.",
      servers: [ref("#/servers/http")],
      parameters: { runId: runIdParameter },
      messages: { ...eventMessages, end: ref("#/components/messages/sse.end"), error: ref("#/components/messages/sse.error") },
      bindings: { http: { bindingVersion: "0.3.0" } },
    },
    accountStream: {
      address: "/api/stream",
      title: "The account's events (SSE)",
      description: "`GET` with optional `types` (exact or globs like `step.*`), `workflow`, `runId`, `after`. Each frame's `id` is the store's global cursor.",
      servers: [ref("#/servers/http")],
      messages: { ...eventMessages, error: ref("#/components/messages/sse.error") },
      bindings: { http: { bindingVersion: "0.3.0" } },
    },
    websocket: {
      address: "/api/ws",
      title: "Runs and filters over one WebSocket",
      description: "Authenticated at the upgrade (Bearer header or `?token=`). Many subscriptions per socket, each resumable from a position.",
      servers: [ref("#/servers/ws")],
      messages: Object.fromEntries([...Object.keys(wsClientMessages), ...Object.keys(wsServerMessages)].map((key) => [key.slice(3), ref(`#/components/messages/${key}`)])),
      bindings: { ws: { bindingVersion: "0.1.0" } },
    },
    natsEvents: {
      address: NATS_SUBJECT,
      title: "Events on NATS JetStream (the NATS bridge)",
      description: "One message per event; its JSON is the event. A subscription's filter is a subject filter, e.g. `runtrail.ev.acme.*.*.step.>`. Message id (`Nats-Msg-Id`) = the event id, so JetStream deduplicates.",
      servers: [ref("#/servers/nats")],
      parameters: {
        accountId: { description: "The account (tenant)." },
        workflow: { description: "The workflow's name." },
        runId: runIdParameter,
        type: { description: "The event type, its dots as subject tokens (`step.completed`).", enum: types },
      },
      messages: eventMessages,
    },
  };

  const operations: JsonObject = {
    receiveRunStream: { action: "receive", title: "Follow one run", channel: ref("#/channels/runStream"), messages: refs("channels/runStream/messages", [...types.map(componentKey), "end", "error"]), security },
    receiveAccountStream: { action: "receive", title: "Follow the account", channel: ref("#/channels/accountStream"), messages: refs("channels/accountStream/messages", [...types.map(componentKey), "error"]), security },
    sendWebSocket: { action: "send", title: "Subscribe, unsubscribe, ping", channel: ref("#/channels/websocket"), messages: refs("channels/websocket/messages", Object.keys(wsClientMessages).map((k) => k.slice(3))), security },
    receiveWebSocket: { action: "receive", title: "Events and answers", channel: ref("#/channels/websocket"), messages: refs("channels/websocket/messages", Object.keys(wsServerMessages).map((k) => k.slice(3))), security },
    receiveNats: { action: "receive", title: "Consume the trail from JetStream", channel: ref("#/channels/natsEvents"), messages: refs("channels/natsEvents/messages", types.map(componentKey)) },
  };

  return {
    asyncapi: "3.1.0",
    info: {
      title: "Runtrail event streams",
      version: options.version ?? "0.1.0",
      description: `Every channel a Runtrail trail travels on. ${types.length} event types, generated from the event JSON Schema.`,
    },
    defaultContentType: "application/json",
    servers: {
      http: { host, protocol: options.secure === true ? "https" : "http", title: "Runtrail server (SSE)", security },
      ws: { host, protocol: options.secure === true ? "wss" : "ws", title: "Runtrail server (WebSocket)", security },
      nats: { host: options.natsHost ?? "localhost:4222", protocol: "nats", title: "NATS JetStream" },
    },
    channels,
    operations,
    components: {
      schemas,
      messages: { ...messages, "sse.end": sseEnd, "sse.error": sseError, ...wsClientMessages, ...wsServerMessages },
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API token, or a stream token from `POST /api/stream-tokens` (also as `?token=`)." } },
    },
  };
}
