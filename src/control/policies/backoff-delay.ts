/**
 * Exponential backoff with optional jitter: the delay before the next attempt, as a pure function
 * of the attempt that failed, so a stored run's delays can be recomputed and tested exactly.
 */

/**
 * How delays are spread: `none` exactly as computed; `full` uniformly in [0, d]; `equal` in
 * [d/2, d]. Jitter keeps many failing runs from retrying in lockstep against one service.
 */
export type Jitter = "none" | "full" | "equal";

/** The shape of the backoff. */
export interface BackoffOptions {
  /** Delay after the first failed attempt, in ms. Default 100. */
  initialDelayMs?: number;
  /** Each further failure multiplies the delay by this. Default 2; `1` is a fixed delay. */
  factor?: number;
  /** The delay never exceeds this, before jitter. Default 30,000. */
  maxDelayMs?: number;
  /** Default `"none"`. */
  jitter?: Jitter;
}

/** Backoff options with every default filled in. */
export type ResolvedBackoff = Required<BackoffOptions>;

/**
 * Fills in defaults and rejects impossible settings early, at policy creation, not mid-run.
 *
 * @example
 * resolveBackoff({ initialDelayMs: 50 }) // { initialDelayMs: 50, factor: 2, maxDelayMs: 30000, jitter: "none" }
 */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const { initialDelayMs = 100, factor = 2, maxDelayMs = 30_000, jitter = "none" } = options;
  if (!(initialDelayMs >= 0) || !Number.isFinite(initialDelayMs)) {
    throw new RangeError(`backoff initialDelayMs must be a finite number >= 0, got ${initialDelayMs}`);
  }
  if (!(factor >= 1) || !Number.isFinite(factor)) throw new RangeError(`backoff factor must be >= 1, got ${factor}`);
  if (!(maxDelayMs >= 0)) throw new RangeError(`backoff maxDelayMs must be >= 0, got ${maxDelayMs}`);
  if (jitter !== "none" && jitter !== "full" && jitter !== "equal") {
    throw new RangeError(`backoff jitter must be "none", "full" or "equal", got ${String(jitter)}`);
  }
  return { initialDelayMs, factor, maxDelayMs, jitter };
}

/**
 * The delay in whole ms before the attempt after `failedAttempt` (1-based):
 * `min(maxDelayMs, initialDelayMs × factor^(failedAttempt − 1))`, then jittered with `random()`
 * (a number in [0, 1), `Math.random` unless injected).
 *
 * @example
 * const b = resolveBackoff({ initialDelayMs: 100, factor: 2, maxDelayMs: 1_000 });
 * [1, 2, 3, 4, 5].map((n) => backoffDelay(n, b)) // [100, 200, 400, 800, 1000]
 */
export function backoffDelay(failedAttempt: number, backoff: ResolvedBackoff, random: () => number = Math.random): number {
  const exponent = Math.max(0, failedAttempt - 1);
  const delay = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * backoff.factor ** exponent);
  switch (backoff.jitter) {
    case "none":
      return Math.round(delay);
    case "full":
      return Math.round(random() * delay);
    case "equal":
      return Math.round(delay / 2 + (random() * delay) / 2);
  }
}
