/**
 * The WebSocket protocol of `/api/ws` as AsyncAPI messages: what a client sends (`subscribe`,
 * `unsubscribe`, `ping`) and what the server answers. Mirrors `src/server/ws-protocol.ts`; a
 * test holds a live server to these schemas, so the two cannot drift apart unnoticed.
 */
type JsonObject = Record<string, unknown>;

const sub = { type: "string", minLength: 1, maxLength: 64, description: "the client's name for the subscription" };
const names = { type: "array", maxItems: 50, items: { type: "string", minLength: 1, maxLength: 200 } };
const runId = { type: "string", minLength: 1, maxLength: 200 };
const position = { type: "integer", minimum: 0, description: "seq (run subscription) or global cursor (filter subscription)" };
const filter = { type: "object", additionalProperties: false, properties: { types: names, workflow: names, runId } };

const message = (name: string, summary: string, payload: JsonObject): JsonObject => ({ name, title: name, summary, contentType: "application/json", payload });
const object = (required: string[], properties: JsonObject, additionalProperties = false): JsonObject => ({ type: "object", required, additionalProperties, properties });

/** Client → server messages. */
export const wsClientMessages: JsonObject = {
  "ws.subscribe": message("subscribe", "Subscribe to one run (`runId`) or to the account's events matching `filter`, after a position.", object(["op"], { op: { const: "subscribe" }, sub, runId, filter, after: position })),
  "ws.unsubscribe": message("unsubscribe", "End a subscription.", object(["op", "sub"], { op: { const: "unsubscribe" }, sub })),
  "ws.ping": message("ping", "Ask for a pong.", object(["op"], { op: { const: "ping" }, id: { oneOf: [{ type: "string", maxLength: 64 }, { type: "number" }] } })),
};

const errorCodes = ["bad_json", "bad_request", "unknown_op", "missing_run_id", "forbidden", "not_found", "duplicate_subscription", "unknown_subscription", "too_many_subscriptions", "slow_consumer", "cursor_ahead", "internal"];

/** Server → client messages; `history` and `live` carry one event each. */
export const wsServerMessages: JsonObject = {
  "ws.subscribed": message("subscribed", "The subscription is open.", object(["type", "sub", "after"], { type: { const: "subscribed" }, sub, runId, filter, after: position }, true)),
  "ws.history": message("history", "An event stored before the subscription caught up.", object(["type", "sub", "id", "event"], { type: { const: "history" }, sub, id: position, event: { $ref: "#/components/schemas/RuntrailEvent" } })),
  "ws.live": message("live", "An event as it happens.", object(["type", "sub", "id", "event"], { type: { const: "live" }, sub, id: position, event: { $ref: "#/components/schemas/RuntrailEvent" } })),
  "ws.end": message("end", "The run ended and every event was sent.", object(["type", "sub", "runId", "lastSeq"], { type: { const: "end" }, sub, runId, lastSeq: { type: "integer", minimum: 0 } })),
  "ws.unsubscribed": message("unsubscribed", "The subscription is closed.", object(["type", "sub"], { type: { const: "unsubscribed" }, sub })),
  "ws.pong": message("pong", "The answer to a ping.", object(["type"], { type: { const: "pong" }, id: { oneOf: [{ type: "string" }, { type: "number" }] } })),
  "ws.error": message(
    "error",
    "A request failed, or a subscription ended early (`resumeAfter`: where to resume; `cursor_ahead`: resumed past the run's last stored event, `lastSeq`).",
    object(["type", "code", "message"], { type: { const: "error" }, code: { type: "string", enum: errorCodes }, message: { type: "string" }, sub, resumeAfter: position, lastSeq: position }),
  ),
};
