/**
 * Which event stands for which decision point: the one table the engine and the policies share,
 * so "before a step" means `step.started` everywhere.
 */
import type { EventType } from "../events/index.js";
import type { DecisionPoint } from "./control-types.js";

/** The event type the engine passes to `check` at each decision point. */
export const DECISION_EVENTS = {
  "before-run": "run.started",
  "before-step": "step.started",
  "after-step-failure": "step.failed",
  "after-tool-failure": "tool.failed",
  "after-llm-failure": "llm.failed",
} as const satisfies Record<DecisionPoint, EventType>;

const byType = new Map<string, DecisionPoint>(
  Object.entries(DECISION_EVENTS).map(([point, type]) => [type, point as DecisionPoint]),
);

/**
 * The decision point an event type stands for, or `undefined` when it is not one.
 *
 * @example
 * decisionPointOf("step.failed") // "after-step-failure"
 * decisionPointOf("step.completed") // undefined
 */
export function decisionPointOf(type: string): DecisionPoint | undefined {
  return byType.get(type);
}
