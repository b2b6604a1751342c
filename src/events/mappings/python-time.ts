/** Timestamps written the way the Python seeds (003, 004) wrote theirs. */

/**
 * `ms` (epoch milliseconds) as Python's `datetime.isoformat()` writes a naive UTC datetime:
 * `2025-11-18T12:00:00.123000`, or `2025-11-18T12:00:00` when the fraction is zero (Python
 * drops a zero microsecond). UTC rather than local time, so the text does not depend on the host.
 *
 * @example
 * pythonIsoformat(Date.UTC(2025, 10, 18, 12, 0, 0, 123)) // "2025-11-18T12:00:00.123000"
 */
export function pythonIsoformat(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2025-11-18T12:00:00.123Z
  const seconds = iso.slice(0, 19);
  const millis = iso.slice(20, 23);
  return millis === "000" ? seconds : `${seconds}.${millis}000`;
}
