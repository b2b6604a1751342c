/**
 * Tool and LLM calls as GenAI spans, after the OpenTelemetry GenAI semantic conventions:
 * `gen_ai.operation.name`, `gen_ai.provider.name` (not the deprecated `gen_ai.system`),
 * `gen_ai.request.model`, `gen_ai.usage.*`, `gen_ai.tool.*`. Message content only when asked.
 */
import { SpanKind, type Attributes } from "@opentelemetry/api";
import type { EventOf } from "../../events/index.js";
import { contentValue } from "./otel-attributes.js";

/** What a call span needs: its name, kind and opening attributes. */
export interface CallSpanStart {
  readonly name: string;
  readonly kind: SpanKind;
  readonly attributes: Attributes;
}

/**
 * The provider of a model, for `gen_ai.provider.name`: the prefix of `"openai/gpt-4o"` or
 * `"anthropic:claude-…"`; `"_OTHER"` (the conventions' value for an unknown one) otherwise.
 * Pass `genAiProvider` to `createOtelExporter` when model names carry no provider.
 *
 * @example
 * providerOfModel("openai/gpt-4o") // "openai"
 * providerOfModel("gpt-4o")        // "_OTHER"
 */
export function providerOfModel(model: string): string {
  const match = /^([a-z0-9_.-]+)[/:]/i.exec(model);
  return match === null ? "_OTHER" : match[1]!.toLowerCase();
}

/** The conventions' message shape for a prompt or response that is not one already. */
function messages(role: "user" | "assistant", value: unknown): string {
  if (Array.isArray(value)) return contentValue(value);
  return contentValue([{ role, parts: [{ type: "text", content: typeof value === "string" ? value : contentValue(value) }] }]);
}

export function toolSpanStart(event: EventOf<"tool.called">, capture: boolean): CallSpanStart {
  const attributes: Attributes = {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": event.tool.name,
    "gen_ai.tool.call.id": event.tool.callId,
    "gen_ai.tool.type": "function",
  };
  if (capture) attributes["gen_ai.tool.call.arguments"] = contentValue(event.arguments);
  return { name: `execute_tool ${event.tool.name}`, kind: SpanKind.INTERNAL, attributes };
}

export function toolResultAttributes(event: EventOf<"tool.completed">, capture: boolean): Attributes {
  return capture && event.result !== undefined ? { "gen_ai.tool.call.result": contentValue(event.result) } : {};
}

export function llmSpanStart(event: EventOf<"llm.requested">, capture: boolean, provider: (model: string) => string): CallSpanStart {
  const attributes: Attributes = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": provider(event.llm.model),
    "gen_ai.request.model": event.llm.model,
    "runtrail.llm.call_id": event.llm.callId,
  };
  if (capture) attributes["gen_ai.input.messages"] = messages("user", event.prompt);
  return { name: `chat ${event.llm.model}`, kind: SpanKind.CLIENT, attributes };
}

export function llmResultAttributes(event: EventOf<"llm.responded">, capture: boolean): Attributes {
  const attributes: Attributes = {};
  const usage = event.usage;
  if (usage?.promptTokens !== undefined) attributes["gen_ai.usage.input_tokens"] = usage.promptTokens;
  if (usage?.completionTokens !== undefined) attributes["gen_ai.usage.output_tokens"] = usage.completionTokens;
  if (capture) attributes["gen_ai.output.messages"] = messages("assistant", event.response);
  return attributes;
}
