/**
 * A wait that ends early when its signal aborts: polling loops and retry back-offs that must stop
 * at once on Ctrl-C or shutdown, without a timer left behind.
 */

/**
 * Resolves after `ms`, or as soon as `signal` aborts (at once if it already has). Never rejects.
 * @example
 * await abortableSleep(retryMs, options.signal); if (options.signal.aborted) return;
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
