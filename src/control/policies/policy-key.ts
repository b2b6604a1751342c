/**
 * What a keyed policy (circuit breaker, rate limiter) counts per: a step, a tool, a model, a
 * workflow, a run, an account, everything, or a key the user computes.
 */
import type { RuntrailEvent } from "../../events/index.js";

/**
 * A key selector. `"tool"` and `"llm"` read tool and LLM events only (the tool's name, the
 * model); `"step"` reads `stepId`. An event without the key is not the policy's business.
 */
export type KeySelector =
  | "step"
  | "tool"
  | "llm"
  | "workflow"
  | "run"
  | "account"
  | "global"
  | ((event: RuntrailEvent) => string | undefined);

/**
 * Turns a selector into a function from event to key (`undefined`: the policy does not apply).
 *
 * @example
 * keyReader("tool")(toolFailedEvent) // "search"
 */
export function keyReader(selector: KeySelector): (event: RuntrailEvent) => string | undefined {
  switch (selector) {
    case "step":
      return (event) => event.stepId;
    case "tool":
      return (event) =>
        event.type === "tool.called" || event.type === "tool.completed" || event.type === "tool.failed"
          ? event.tool.name
          : undefined;
    case "llm":
      return (event) =>
        event.type === "llm.requested" || event.type === "llm.responded" || event.type === "llm.failed"
          ? event.llm.model
          : undefined;
    case "workflow":
      return (event) => event.workflow.name;
    case "run":
      return (event) => event.runId;
    case "account":
      return (event) => event.accountId;
    case "global":
      return () => "*";
    default:
      return selector;
  }
}
