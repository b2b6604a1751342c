/**
 * @module runtrail/control
 * Control: the manager the engine asks at decision points (before a run, before a step, after a
 * failure), and the built-in policies: retry, a step's own retry settings, circuit breaker, rate
 * limit, timeout. Every decision names the handler that made it.
 */
export type {
  ControlAnswer,
  ControlContext,
  ControlDecision,
  ControlPort,
  DecisionPoint,
  Fail,
  Fallback,
  Proceed,
  Retry,
  Skip,
  Suspend,
} from "./control-types.js";
export { createControl, type ControlManager } from "./control-manager.js";
export { DuplicateHandlerError, HandlerTimeoutError, InvalidAnswerError } from "./control-errors.js";
export { DECISION_EVENTS, decisionPointOf } from "./decision-points.js";
export type {
  ControlFailure,
  ControlHandler,
  ControlHandlerFn,
  ControlHandlerObject,
  ControlOptions,
  ControlPolicy,
  ControlStats,
  HandlerInfo,
  HandlerResult,
  RegisterOptions,
} from "./handler-types.js";
export { backoffDelay, resolveBackoff, type BackoffOptions, type Jitter, type ResolvedBackoff } from "./policies/backoff-delay.js";
export {
  CIRCUIT_BREAKER_PRIORITY,
  circuitBreakerPolicy,
  type CircuitBreakerHandler,
  type CircuitBreakerOptions,
  type CircuitState,
} from "./policies/circuit-breaker-policy.js";
export { keyReader, type KeySelector } from "./policies/policy-key.js";
export { RATE_LIMIT_PRIORITY, rateLimitPolicy, type RateLimitOptions } from "./policies/rate-limit-policy.js";
export { RETRY_PRIORITY, retryPolicy, type RetryOptions } from "./policies/retry-policy.js";
export { STEP_RETRY_PRIORITY, stepRetryPolicy, type StepRetrySettings } from "./policies/step-retry-policy.js";
export { TIMEOUT_PRIORITY, timeoutPolicy, type TimeoutOptions } from "./policies/timeout-policy.js";
