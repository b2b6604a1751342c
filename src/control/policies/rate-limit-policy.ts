/**
 * A rate limiter: at most `limit` starts per `intervalMs` per key, over a sliding window (the
 * last `limit` admitted starts are remembered, so no burst at a window edge can double the rate).
 * Over the limit it answers SKIP (default), FAIL, or RETRY after exactly the time until a slot
 * frees. Only admitted starts count: a refused start takes no slot.
 */
import type { TypePattern } from "../../bus/index.js";
import type { Fail, Retry, Skip } from "../control-types.js";
import type { ControlHandlerFn, ControlPolicy } from "../handler-types.js";
import { keyReader, type KeySelector } from "./policy-key.js";

/** Options of {@link rateLimitPolicy}. */
export interface RateLimitOptions {
  /** Handler name. Default `"rate-limit"`. */
  name?: string;
  /** Starts admitted per interval, per key. */
  limit: number;
  intervalMs: number;
  /** What is limited: each step (default), workflow, run, account, everything, or your own key. */
  key?: KeySelector;
  /** What to answer over the limit. Default `"skip"`. */
  onLimit?: "skip" | "fail" | "retry";
  /** The skipped step's output, with `onLimit: "skip"`. */
  skipValue?: unknown;
  /** Default `["step.started"]`. */
  eventTypes?: readonly TypePattern[];
  /** The clock, in ms. Default `Date.now`; tests inject their own. */
  clock?: () => number;
}

/** Suggested priority: after the circuit breaker, so a refused start does not use up a slot. */
export const RATE_LIMIT_PRIORITY = 20;

interface Window {
  /** Admission times; once full, `oldest` indexes the earliest (a ring). */
  readonly times: number[];
  oldest: number;
  last: number;
}

/** Keys are swept for idle windows once there are this many, so per-run keys do not pile up. */
const SWEEP_AT = 10_000;

/**
 * Creates a rate limiter.
 *
 * @example
 * control.use(rateLimitPolicy({ limit: 3, intervalMs: 1_000, key: "step" }));
 * // 4th start of the same step within a second -> { signal: "skip", reason: "rate limit …", handler: "rate-limit" }
 */
export function rateLimitPolicy(options: RateLimitOptions): ControlPolicy<ControlHandlerFn> {
  const { name = "rate-limit", limit, intervalMs, key = "step", onLimit = "skip", skipValue, clock = Date.now } = options;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`rate limit "${name}": limit must be an integer >= 1, got ${limit}`);
  }
  if (!(intervalMs > 0)) throw new RangeError(`rate limit "${name}": intervalMs must be > 0, got ${intervalMs}`);
  const readKey = keyReader(key);
  const windows = new Map<string, Window>();

  const sweep = (now: number): void => {
    for (const [k, window] of windows) if (now - window.last >= intervalMs) windows.delete(k);
  };

  const handler: ControlHandlerFn = (event): Skip | Fail | Retry | undefined => {
    const k = readKey(event);
    if (k === undefined) return undefined;
    const now = clock();
    let window = windows.get(k);
    if (window === undefined) {
      if (windows.size >= SWEEP_AT) sweep(now);
      window = { times: [], oldest: 0, last: now };
      windows.set(k, window);
    }
    const { times } = window;
    if (times.length < limit) {
      times.push(now);
      window.last = now;
      return undefined;
    }
    const earliest = times[window.oldest]!;
    if (now - earliest >= intervalMs) {
      times[window.oldest] = now;
      window.oldest = (window.oldest + 1) % limit;
      window.last = now;
      return undefined;
    }
    const reason = `rate limit of ${limit} per ${intervalMs} ms reached for "${k}"`;
    if (onLimit === "fail") return { signal: "fail", reason };
    if (onLimit === "retry") {
      const delayMs = earliest + intervalMs - now;
      return { signal: "retry", delayMs, reason: `${reason}; retrying in ${delayMs} ms` };
    }
    return skipValue === undefined ? { signal: "skip", reason } : { signal: "skip", value: skipValue, reason };
  };
  return {
    handler,
    options: { name, priority: RATE_LIMIT_PRIORITY, eventTypes: options.eventTypes ?? ["step.started"] },
  };
}
