/**
 * One POST of a batch: resolves on a 2xx answer; otherwise throws a {@link DeliveryError}
 * saying what the receiver answered (and when it asked to be retried, `Retry-After`).
 */
import type { HttpMessage } from "./cloudevent-http.js";

/** A batch the receiver did not take. */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  constructor(
    message: string,
    /** The HTTP status, when the receiver answered. */
    readonly status?: number,
    /** The receiver's `Retry-After`, in ms. */
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function retryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export async function postBatch(
  url: string,
  message: HttpMessage,
  headers: Readonly<Record<string, string>> | undefined,
  timeoutMs: number,
  abandoned: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { ...headers, ...(message.headers as Record<string, string>) },
      body: message.body,
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), abandoned]),
    });
  } catch (error) {
    const reason = abandoned.aborted
      ? "the sink closed before an answer came"
      : error instanceof Error && error.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
    throw new DeliveryError(`POST ${url} failed: ${reason}`, undefined, undefined, { cause: error });
  }
  // The body is read (and dropped) so the connection can be reused.
  const text = await response.text().catch(() => "");
  if (response.ok) return;
  throw new DeliveryError(`POST ${url} answered ${response.status}${text === "" ? "" : `: ${text.slice(0, 200)}`}`, response.status, retryAfter(response.headers.get("retry-after")));
}
