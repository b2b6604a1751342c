/**
 * Seed 000 (the AIML runtime): `step_transition` and `condition_check` events, as its
 * `workflow.onEvent` delivered them. A pure, one-to-one mapping; see docs/event-mappings.md.
 */
import type { EventOf, RuntrailEvent } from "../catalog.js";
import type { ConditionKind } from "../families/condition.js";

/** The status a seed-000 step transition reports. */
export type StepTransitionStatus = "entering" | "exiting" | "success" | "failed" | "running";

/** Seed 000's `StepTransitionEvent`: a step entered, ran, or left. */
export interface StepTransitionEvent {
  type: "step_transition";
  runId: string;
  accountId: string;
  stepId: string;
  status: StepTransitionStatus;
  timestamp: Date;
  /** Equal to the Runtrail event's `seq`. */
  sequenceNumber: number;
  input?: unknown;
  output?: unknown;
  metadata?: { stepKey?: string; stepTag?: string; duration?: number };
}

/** Seed 000's `ConditionCheckEvent`: an if, else, when or while condition was evaluated. */
export interface ConditionCheckEvent {
  type: "condition_check";
  runId: string;
  accountId: string;
  conditionId: string;
  conditionType: ConditionKind;
  timestamp: Date;
  /** Equal to the Runtrail event's `seq`. */
  sequenceNumber: number;
  expression?: string;
  result: boolean;
  input?: unknown;
  context?: unknown;
}

/** Any seed-000 runtime event. */
export type AimlEvent = StepTransitionEvent | ConditionCheckEvent;

type StepEvent = EventOf<"step.started" | "step.running" | "step.completed" | "step.failed">;

/**
 * The seed-000 event for a Runtrail event, or `undefined` when seed 000 had no equivalent
 * (run, wave, loop, variable, progress, tool, llm and custom events, `step.skipped`,
 * `step.retrying`, and step events without a `stepId`).
 *
 * One Runtrail event gives at most one seed-000 event, so `sequenceNumber` is the Runtrail
 * `seq`: strictly increasing, unique, and usable as a store cursor. It has gaps where a Runtrail
 * event has no seed-000 equivalent. `step.completed` maps to `"success"` only: `"exiting"` is never
 * produced, because Runtrail has no separate moment between a step's end and its success.
 *
 * @example
 * bus.onEvent((e) => {
 *   const old = toAimlEvent(e);
 *   if (old?.type === "step_transition") console.log(old.stepId, old.status, old.sequenceNumber);
 * });
 */
export function toAimlEvent(event: RuntrailEvent): AimlEvent | undefined {
  switch (event.type) {
    case "step.started":
      return stepTransition(event, "entering", event.input, undefined);
    case "step.running":
      return stepTransition(event, "running", undefined, undefined);
    case "step.completed":
      return stepTransition(event, "success", undefined, event.output);
    case "step.failed":
      return stepTransition(event, "failed", undefined, undefined);
    case "condition.evaluated":
      return {
        type: "condition_check",
        runId: event.runId,
        accountId: event.accountId,
        conditionId: event.conditionId,
        conditionType: event.kind,
        timestamp: new Date(event.ts),
        sequenceNumber: event.seq,
        expression: event.expression,
        result: event.result,
        ...(inputOf(event.scope) !== undefined ? { input: inputOf(event.scope) } : {}),
        ...(event.scope !== undefined ? { context: event.scope } : {}),
      };
    default:
      return undefined;
  }
}

function stepTransition(
  event: StepEvent,
  status: StepTransitionStatus,
  input: unknown,
  output: unknown,
): StepTransitionEvent | undefined {
  if (event.stepId === undefined) return undefined;
  const duration = "durationMs" in event ? event.durationMs : undefined;
  const metadata = {
    ...(event.stepKey !== undefined ? { stepKey: event.stepKey } : {}),
    ...(event.tag !== undefined ? { stepTag: event.tag } : {}),
    ...(duration !== undefined ? { duration } : {}),
  };
  return {
    type: "step_transition",
    runId: event.runId,
    accountId: event.accountId,
    stepId: event.stepId,
    status,
    timestamp: new Date(event.ts),
    sequenceNumber: event.seq,
    ...(input !== undefined ? { input } : {}),
    ...(output !== undefined ? { output } : {}),
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}

/**
 * Seed 000's "available input data" of a condition: the run's input as the expression saw it,
 * which the engine's scope holds under `input` (beside `steps` and `vars`).
 */
function inputOf(scope: unknown): unknown {
  if (typeof scope !== "object" || scope === null || Array.isArray(scope)) return undefined;
  return Object.prototype.hasOwnProperty.call(scope, "input") ? (scope as { input?: unknown }).input : undefined;
}
