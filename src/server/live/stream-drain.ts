/**
 * Waiting for a client's socket to take what was written: streams write a page, then wait for
 * `drain` before they read the next one, so a client never holds more than about a page of
 * unsent events in the server, however many clients there are.
 */

/** The slice of a Node writable (a socket, an HTTP response) waited on. */
export interface Drainable {
  once(event: "drain", listener: () => void): unknown;
  off(event: "drain", listener: () => void): unknown;
}

/**
 * Resolves `drained` on the writable's next `drain`, `aborted` on `signal`, or `timeout` after
 * `timeoutMs` (never, by default).
 *
 * @example
 * if (!response.write(chunk)) await waitForDrain(response, signal);
 */
export function waitForDrain(writable: Drainable, signal: AbortSignal, timeoutMs = Infinity): Promise<"drained" | "aborted" | "timeout"> {
  if (signal.aborted) return Promise.resolve("aborted");
  return new Promise((resolve) => {
    const done = (outcome: "drained" | "aborted" | "timeout"): void => {
      writable.off("drain", onDrain);
      signal.removeEventListener("abort", onAbort);
      clearTimeout(timer);
      resolve(outcome);
    };
    const onDrain = (): void => done("drained");
    const onAbort = (): void => done("aborted");
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => done("timeout"), timeoutMs) : undefined;
    writable.once("drain", onDrain);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
