/** A tool call made by a step: called, then completed or failed (seed 004). */
import { Type } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";
import { Decision, DurationMs, ErrorInfo, Json } from "../fields.js";

const ToolRef = Type.Object({ name: Type.String({ minLength: 1 }), callId: Type.String({ minLength: 1 }) });

export const ToolCalled = defineEvent(
  "tool.called",
  {
    tool: ToolRef,
    arguments: Json,
    /** Set when this call repeats a failed one: the control handler that asked for the retry. */
    decision: Type.Optional(Decision),
  },
  "a step called a tool",
);
export const ToolCompleted = defineEvent(
  "tool.completed",
  {
    tool: ToolRef,
    result: Type.Optional(Json),
    durationMs: DurationMs,
    /** Set when the result is a control handler's fallback value, not the tool's own. */
    fallback: Type.Optional(Decision),
  },
  "a tool call returned",
);
export const ToolFailed = defineEvent(
  "tool.failed",
  { tool: ToolRef, error: ErrorInfo, durationMs: DurationMs },
  "a tool call threw",
);

export const toolEvents = [ToolCalled, ToolCompleted, ToolFailed] as const;
