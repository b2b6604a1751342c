/** A tool call made by a step: called, then completed or failed (seed 004). */
import { Type } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";
import { DurationMs, ErrorInfo, Json } from "../fields.js";

const ToolRef = Type.Object({ name: Type.String({ minLength: 1 }), callId: Type.String({ minLength: 1 }) });

export const ToolCalled = defineEvent("tool.called", { tool: ToolRef, arguments: Json }, "a step called a tool");
export const ToolCompleted = defineEvent(
  "tool.completed",
  { tool: ToolRef, result: Type.Optional(Json), durationMs: DurationMs },
  "a tool call returned",
);
export const ToolFailed = defineEvent(
  "tool.failed",
  { tool: ToolRef, error: ErrorInfo, durationMs: DurationMs },
  "a tool call threw",
);

export const toolEvents = [ToolCalled, ToolCompleted, ToolFailed] as const;
