/**
 * The WebSocket protocol's messages. Client → server: `subscribe`, `unsubscribe`, `ping`.
 * Server → client: `subscribed`, `history` (events stored before the subscription caught up),
 * `live`, `end`, `unsubscribed`, `pong`, `error`. Positions: `id` is the seq for a run
 * subscription and the global cursor for a filter subscription; pass it back as `after`.
 *
 * @example
 * ws.send(JSON.stringify({ op: "subscribe", sub: "a", runId: "run-1", after: 0 }));
 * // ← {"type":"subscribed","sub":"a","runId":"run-1","after":0}
 * // ← {"type":"history","sub":"a","id":1,"event":{…}} … {"type":"live",…} … {"type":"end","sub":"a","runId":"run-1","lastSeq":9}
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { typePatternProblem } from "../../bus/index.js";
import type { RuntrailEvent } from "../../events/index.js";

const SubId = Type.String({ minLength: 1, maxLength: 64 });
const Names = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 });

export const SubscribeMessage = Type.Object(
  {
    op: Type.Literal("subscribe"),
    /** The client's name for the subscription; default: the run id, or `"account"`. */
    sub: Type.Optional(SubId),
    runId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    filter: Type.Optional(
      Type.Object(
        { types: Type.Optional(Names), workflow: Type.Optional(Names), runId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
        { additionalProperties: false },
      ),
    ),
    after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  },
  { additionalProperties: false },
);
export type SubscribeMessage = Static<typeof SubscribeMessage>;

export const UnsubscribeMessage = Type.Object({ op: Type.Literal("unsubscribe"), sub: SubId }, { additionalProperties: false });
export const PingMessage = Type.Object({ op: Type.Literal("ping"), id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()])) }, { additionalProperties: false });

/** A client message, checked. */
export type ClientMessage = SubscribeMessage | Static<typeof UnsubscribeMessage> | Static<typeof PingMessage>;

/** The codes of `error` messages. */
export type WsErrorCode =
  | "bad_json"
  | "bad_request"
  | "unknown_op"
  | "missing_run_id"
  | "forbidden"
  | "not_found"
  | "duplicate_subscription"
  | "unknown_subscription"
  | "too_many_subscriptions"
  | "slow_consumer"
  | "cursor_ahead"
  | "token_revoked"
  | "internal";

/** Messages the server sends. */
export type ServerMessage =
  | { type: "subscribed"; sub: string; runId?: string; filter?: SubscribeMessage["filter"]; after: number }
  | { type: "history" | "live"; sub: string; id: number; event: RuntrailEvent }
  | { type: "end"; sub: string; runId: string; lastSeq: number }
  | { type: "unsubscribed"; sub: string }
  | { type: "pong"; id?: string | number }
  /** `resumeAfter`: where to resume (`slow_consumer`); `lastSeq`: the run's last stored seq (`cursor_ahead`). */
  | { type: "error"; code: WsErrorCode; message: string; sub?: string; resumeAfter?: number; lastSeq?: number };

const SCHEMAS = { subscribe: SubscribeMessage, unsubscribe: UnsubscribeMessage, ping: PingMessage } as const;

/** Parses a client frame into a message, or the error to answer with. */
export function parseClientMessage(text: string): ClientMessage | { error: WsErrorCode; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: "bad_json", message: "the message is not JSON" };
  }
  const op = typeof value === "object" && value !== null ? (value as { op?: unknown }).op : undefined;
  if (typeof op !== "string" || !Object.hasOwn(SCHEMAS, op)) {
    return { error: "unknown_op", message: `unknown op ${JSON.stringify(op ?? null)}; expected subscribe, unsubscribe or ping` };
  }
  const schema = SCHEMAS[op as keyof typeof SCHEMAS];
  if (!Value.Check(schema, value)) {
    const first = Value.Errors(schema, value).First();
    const field = first === undefined || first.path === "" ? "message" : first.path.slice(1).replaceAll("/", ".");
    return { error: "bad_request", message: `${field}: ${first?.message ?? "invalid"}` };
  }
  const message = value as ClientMessage;
  // The same type globs as every other filter: a pattern that selects no type is refused, not an empty stream.
  const types = message.op === "subscribe" ? message.filter?.types : undefined;
  for (let i = 0; i < (types?.length ?? 0); i++) {
    const problem = typePatternProblem(types![i]!);
    if (problem !== undefined) return { error: "bad_request", message: `filter.types.${i}: ${JSON.stringify(types![i])} ${problem}` };
  }
  return message;
}
