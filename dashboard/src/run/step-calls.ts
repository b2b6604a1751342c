/**
 * A step's tool and LLM calls, one per call id: what was called (the tool's name or the model),
 * how it ended, how long it took, and the tokens a model reported.
 */
import type { TokenUsage } from "../../../src/events/index.js";
import type { RuntrailEvent } from "../api/api-types.js";

export interface StepCall {
  readonly callId: string;
  readonly kind: "tool" | "llm";
  /** The tool's name, or the model. */
  readonly name: string;
  readonly status: "running" | "completed" | "failed";
  /** The seq of the event that started the call (what the panel links to). */
  readonly seq: number;
  readonly durationMs?: number;
  readonly usage?: TokenUsage;
  readonly error?: string;
}

/** The calls in `events` (a step's, in seq order), in the order they were made. */
export function stepCalls(events: readonly RuntrailEvent[]): StepCall[] {
  const calls = new Map<string, StepCall>();
  for (const e of events) {
    switch (e.type) {
      case "tool.called":
        calls.set(e.tool.callId, { callId: e.tool.callId, kind: "tool", name: e.tool.name, status: "running", seq: e.seq });
        break;
      case "llm.requested":
        calls.set(e.llm.callId, { callId: e.llm.callId, kind: "llm", name: e.llm.model, status: "running", seq: e.seq });
        break;
      case "tool.completed":
      case "tool.failed":
      case "llm.responded":
      case "llm.failed": {
        const id = "tool" in e ? e.tool.callId : e.llm.callId;
        const call = calls.get(id);
        if (call === undefined) break;
        const done: StepCall = { ...call, status: e.type.endsWith("failed") ? "failed" : "completed", durationMs: e.durationMs };
        const usage = e.type === "llm.responded" ? e.usage : undefined;
        const error = e.type === "tool.failed" || e.type === "llm.failed" ? e.error.message : undefined;
        calls.set(id, { ...done, ...(usage === undefined ? {} : { usage }), ...(error === undefined ? {} : { error }) });
        break;
      }
      default:
        break;
    }
  }
  return [...calls.values()];
}
