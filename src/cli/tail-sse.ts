/**
 * Following a server's SSE stream with resume: on a dropped connection (a restart, a proxy's
 * timeout, the server closing a slow stream) it reconnects with `Last-Event-ID`, so the events it
 * yields have no gap and no duplicate. A refusal (401, 403, 404, 400) is final and says the URL,
 * the status and the server's message.
 */
import { abortableSleep } from "../common/index.js";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { CliError } from "./cli-errors.js";

/** One item of a stream: an event (its id and JSON text), the run's end, or a server error message. */
export type SseItem = { readonly kind: "event"; readonly id: number; readonly body: string } | { readonly kind: "end"; readonly data: string } | { readonly kind: "error"; readonly data: string };

/** Options of {@link followSse}. */
export interface SseOptions {
  readonly token?: string;
  /** Resume after this id (seq of a run stream, cursor of the account stream). */
  readonly after: number;
  readonly signal: AbortSignal;
  /** Reconnects in a row without an event before giving up. Default 10. */
  readonly maxRetries?: number;
  /** Told about each reconnect. */
  readonly onReconnect?: (reason: string, attempt: number) => void;
}

const FINAL = new Set([400, 401, 403, 404]);

/**
 * The stream's items, reconnecting as needed, until `end`, an abort or a final refusal.
 *
 * @example
 * for await (const item of followSse(`${url}/api/runs/${runId}/stream`, { after: 0, signal })) …
 */
export async function* followSse(url: string, options: SseOptions): AsyncGenerator<SseItem, void, undefined> {
  let last = options.after;
  let retryMs = 1_000;
  let failures = 0;
  const max = options.maxRetries ?? 10;
  for (;;) {
    const target = new URL(url);
    target.searchParams.set("after", String(last));
    let response: Response;
    try {
      response = await fetch(target, {
        headers: { accept: "text/event-stream", "last-event-id": String(last), ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }) },
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal.aborted) return;
      if (++failures > max) throw new CliError(`cannot reach ${url}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
      options.onReconnect?.(error instanceof Error ? error.message : String(error), failures);
      await abortableSleep(retryMs, options.signal);
      continue;
    }
    if (response.status !== 200) {
      const text = await response.text().catch(() => "");
      const message = messageIn(text);
      if (FINAL.has(response.status) || ++failures > max) throw new CliError(`${url} answered ${response.status}${message === "" ? "" : `: ${message}`}`);
      options.onReconnect?.(`status ${response.status}`, failures);
      await abortableSleep(retryMs, options.signal);
      continue;
    }
    const queue: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (message) => queue.push(message), onRetry: (ms) => (retryMs = ms) });
    const decoder = new TextDecoder();
    let ended = false;
    let reason = "the server closed the stream";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        for (const message of queue.splice(0)) {
          if (message.event === "end") {
            ended = true;
            yield { kind: "end", data: message.data };
          } else if (message.event === "error") yield { kind: "error", data: message.data };
          else if (message.event === undefined || message.event === "message") {
            const id = Number(message.id);
            if (Number.isInteger(id) && id > last) {
              last = id;
              failures = 0;
              yield { kind: "event", id, body: message.data };
            }
          }
        }
        if (ended) return;
      }
    } catch (error) {
      if (options.signal.aborted) return;
      reason = error instanceof Error ? error.message : String(error);
    }
    if (options.signal.aborted) return;
    if (++failures > max) throw new CliError(`${url}: the stream kept closing (${max} reconnects without an event; last: ${reason})`);
    options.onReconnect?.(reason, failures);
    await abortableSleep(retryMs, options.signal);
  }
}

function messageIn(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    return typeof body.message === "string" ? body.message : text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}
