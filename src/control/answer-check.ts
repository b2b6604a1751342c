/**
 * Checks a handler's answer before the engine acts on it: handlers written in plain JavaScript, or
 * typed loosely, can return anything, and a bad answer must be reported, never acted on.
 */
import type { ControlAnswer } from "./control-types.js";

const isDelay = (value: unknown): boolean => typeof value === "number" && Number.isFinite(value) && value >= 0;
const isOptionalText = (value: unknown): boolean => value === undefined || typeof value === "string";

/** What is wrong with `answer`, or `undefined` when it is a valid control answer (or nothing). */
export function answerProblem(answer: unknown): string | undefined {
  if (answer === undefined || answer === null) return undefined;
  if (typeof answer !== "object") return `expected an answer object or nothing, got ${typeof answer}`;
  const a = answer as Partial<Record<keyof ControlAnswer | "delayMs" | "timeoutMs" | "reason" | "value", unknown>>;
  switch (a.signal) {
    case "proceed":
      return a.timeoutMs === undefined || (isDelay(a.timeoutMs) && (a.timeoutMs as number) > 0)
        ? undefined
        : `proceed.timeoutMs must be a positive number, got ${String(a.timeoutMs)}`;
    case "skip":
      return isOptionalText(a.reason) ? undefined : "skip.reason must be a string";
    case "retry":
      if (!isDelay(a.delayMs)) return `retry.delayMs must be a number >= 0, got ${String(a.delayMs)}`;
      return isOptionalText(a.reason) ? undefined : "retry.reason must be a string";
    case "fallback":
      if (!("value" in a)) return "fallback needs a value";
      return isOptionalText(a.reason) ? undefined : "fallback.reason must be a string";
    case "fail":
      return typeof a.reason === "string" ? undefined : "fail needs a reason string";
    case "suspend":
      return typeof a.reason === "string" ? undefined : "suspend needs a reason string";
    default:
      return `unknown signal ${JSON.stringify(a.signal)}`;
  }
}
