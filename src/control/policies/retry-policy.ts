/**
 * Retry with exponential backoff: at an after-failure decision point, answers RETRY while attempts
 * remain and the error is retryable.
 *
 * When attempts run out (or the error is not retryable) it answers PROCEED, not FAIL: PROCEED
 * means "no opinion, the failure stands", so a later handler (a fallback, a circuit breaker) can
 * still decide, and without one the engine fails the step as it would with no policy at all. A
 * FAIL here would veto those handlers and claim a decision that is really just the failure.
 */
import type { TypePattern } from "../../bus/index.js";
import type { RuntrailEvent } from "../../events/index.js";
import type { ErrorInfo } from "../../events/index.js";
import type { ControlContext, Retry } from "../control-types.js";
import type { ControlHandlerFn, ControlPolicy } from "../handler-types.js";
import { backoffDelay, resolveBackoff, type BackoffOptions } from "./backoff-delay.js";

/** Options of {@link retryPolicy}. */
export interface RetryOptions extends BackoffOptions {
  /** Handler name. Default `"retry"`. */
  name?: string;
  /** Attempts in all, the first included: 3 means up to 2 retries. Default 3. */
  maxAttempts?: number;
  /** Whether this failure is worth retrying. Default: unless the producer marked `retryable: false`. */
  retryable?: (error: ErrorInfo, event: RuntrailEvent, ctx: ControlContext) => boolean;
  /** Source of jitter, in [0, 1). Default `Math.random`; tests inject their own. */
  random?: () => number;
  /** Which failures it answers. Default: step, tool and LLM failures. */
  eventTypes?: readonly TypePattern[];
  /** Scope to these steps (registration option). Default: every step. */
  steps?: readonly string[];
}

/** Suggested priority: after circuit breakers (10) and rate limits (20), so an open circuit is not retried. */
export const RETRY_PRIORITY = 50;

function errorOf(event: RuntrailEvent, ctx: ControlContext): ErrorInfo | undefined {
  if (ctx.error !== undefined) return ctx.error;
  switch (event.type) {
    case "step.failed":
    case "tool.failed":
    case "llm.failed":
      return event.error;
    default:
      return undefined;
  }
}

/**
 * Creates a retry policy.
 *
 * @example
 * control.use(retryPolicy({ maxAttempts: 4, initialDelayMs: 200, maxDelayMs: 5_000, jitter: "full" }));
 * // attempt 1 fails -> { signal: "retry", delayMs: <0..200>, handler: "retry" }; attempt 4 fails -> proceed
 */
export function retryPolicy(options: RetryOptions = {}): ControlPolicy<ControlHandlerFn> {
  const { name = "retry", maxAttempts = 3, random = Math.random, steps } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`retry policy "${name}": maxAttempts must be an integer >= 1, got ${maxAttempts}`);
  }
  const backoff = resolveBackoff(options);
  const retryable = options.retryable ?? ((error: ErrorInfo) => error.retryable !== false);
  const handler: ControlHandlerFn = (event, ctx): Retry | undefined => {
    const error = errorOf(event, ctx);
    if (error === undefined || ctx.attempt >= maxAttempts || !retryable(error, event, ctx)) return undefined;
    const delayMs = backoffDelay(ctx.attempt, backoff, random);
    return {
      signal: "retry",
      delayMs,
      reason: `attempt ${ctx.attempt} of ${maxAttempts} failed (${error.message}); retrying in ${delayMs} ms`,
    };
  };
  return {
    handler,
    options: {
      name,
      priority: RETRY_PRIORITY,
      eventTypes: options.eventTypes ?? ["step.failed", "tool.failed", "llm.failed"],
      ...(steps === undefined ? {} : { steps }),
    },
  };
}
