/**
 * A step's own `retry` settings in a definition, expressed as the built-in retry policy scoped to
 * that step: one retry mechanism, whose decisions land in the trail like any other policy's.
 */
import type { ControlHandlerFn, ControlPolicy } from "../handler-types.js";
import type { BackoffOptions } from "./backoff-delay.js";
import { retryPolicy, RETRY_PRIORITY, type RetryOptions } from "./retry-policy.js";

/** The `retry` block of a step in a workflow definition. */
export interface StepRetrySettings {
  /** Attempts in all, the first included. */
  attempts: number;
  /** A fixed delay in ms, or exponential backoff. Default: exponential from 100 ms, doubling. */
  backoff?: number | BackoffOptions;
}

/** Step settings are more specific than a workflow-wide retry policy, so they are asked first. */
export const STEP_RETRY_PRIORITY = RETRY_PRIORITY - 10;

/**
 * The policy the engine registers for a step that declares `retry`: named `retry:<stepId>`,
 * asked only about that step's failures.
 *
 * @example
 * // definition: step("fetch", fetchPage, { retry: { attempts: 3, backoff: 500 } })
 * control.use(stepRetryPolicy("fetch", { attempts: 3, backoff: 500 }));
 * // fetch fails on attempt 1 -> { signal: "retry", delayMs: 500, handler: "retry:fetch" }
 */
export function stepRetryPolicy(
  stepId: string,
  settings: StepRetrySettings,
  extra: Pick<RetryOptions, "random" | "retryable"> = {},
): ControlPolicy<ControlHandlerFn> {
  const backoff: BackoffOptions =
    typeof settings.backoff === "number"
      ? { initialDelayMs: settings.backoff, factor: 1, maxDelayMs: settings.backoff }
      : (settings.backoff ?? {});
  const policy = retryPolicy({
    ...backoff,
    ...extra,
    name: `retry:${stepId}`,
    maxAttempts: settings.attempts,
    eventTypes: ["step.failed"],
    steps: [stepId],
  });
  return { handler: policy.handler, options: { ...policy.options, priority: STEP_RETRY_PRIORITY } };
}
