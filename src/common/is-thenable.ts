/**
 * Whether a value a user's code returned is to be awaited. Checked before awaiting so that
 * synchronous handlers cost no microtask; a `then` that is not a function is a plain value.
 */

/**
 * @example
 * const out = handler(ctx); const value = isThenable(out) ? await out : out;
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as PromiseLike<unknown>).then === "function";
}
