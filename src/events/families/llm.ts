/** A language-model call made by a step: requested, then responded or failed (seed 004). */
import { Type, type Static } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";
import { Decision, DurationMs, ErrorInfo, Json } from "../fields.js";

const LlmRef = Type.Object({ callId: Type.String({ minLength: 1 }), model: Type.String() });

export const TokenUsage = Type.Object({
  promptTokens: Type.Optional(Type.Integer({ minimum: 0 })),
  completionTokens: Type.Optional(Type.Integer({ minimum: 0 })),
  totalTokens: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type TokenUsage = Static<typeof TokenUsage>;

export const LlmRequested = defineEvent(
  "llm.requested",
  {
    llm: LlmRef,
    prompt: Json,
    /** Set when this call repeats a failed one: the control handler that asked for the retry. */
    decision: Type.Optional(Decision),
  },
  "a step sent a prompt",
);
export const LlmResponded = defineEvent(
  "llm.responded",
  {
    llm: LlmRef,
    response: Json,
    usage: Type.Optional(TokenUsage),
    durationMs: DurationMs,
    /** Set when the response is a control handler's fallback value, not the model's. */
    fallback: Type.Optional(Decision),
  },
  "a model answered",
);
export const LlmFailed = defineEvent(
  "llm.failed",
  { llm: LlmRef, error: ErrorInfo, durationMs: DurationMs },
  "a model call failed",
);

export const llmEvents = [LlmRequested, LlmResponded, LlmFailed] as const;
