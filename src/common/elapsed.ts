/**
 * Durations as the trail records them: milliseconds from `performance.now()`, rounded to the
 * microsecond so that events stay short and equal runs compare equal.
 */

/** A start mark for {@link elapsedMs}. */
export const now = (): number => performance.now();

/**
 * Milliseconds since `start` (a {@link now} mark), to three decimals.
 * @example
 * const start = now(); await work(); const durationMs = elapsedMs(start);
 */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}
