/**
 * A live SSE stream for the page. EventSource cannot send headers, so with an API token the
 * stream gets a short-lived stream token first (`POST /api/stream-tokens`, bound to the run for a
 * run stream). The browser's own reconnect resumes with `Last-Event-ID`; when the server refuses
 * the URL (the stream token expired), a fresh token is taken and the stream resumes from the last
 * id seen. Events are handed over in batches, at most one per animation frame, so a run emitting
 * thousands of events a second costs one render per frame.
 */
import type { RuntrailEvent } from "./api-types.js";
import { api, apiToken, apiUrl } from "./api-client.js";

export interface LiveStreamOptions {
  /** Stream of one run (`/runs/:id/stream`), else the account's (`/stream`). */
  readonly runId?: string;
  readonly after?: number;
  readonly types?: readonly string[];
  /** A batch of events, in stream order, with the last id of the batch. */
  readonly onEvents: (events: readonly RuntrailEvent[], lastId: number) => void;
  /** The run's stream ended (the run is over and all of it was sent). */
  readonly onEnd?: () => void;
  readonly onError?: (message: string) => void;
  /** The stream is connected (again): live from here on. */
  readonly onOpen?: () => void;
}

/**
 * Opens the stream; returns its close function.
 *
 * @example
 * const close = openLiveStream({ types: ["run.*"], onEvents: (events) => refresh() });
 */
export function openLiveStream(options: LiveStreamOptions): () => void {
  let source: EventSource | undefined;
  let closed = false;
  let lastId = options.after ?? 0;
  let pending: RuntrailEvent[] = [];
  let frame = 0;
  const flush = (): void => {
    frame = 0;
    const batch = pending;
    pending = [];
    if (batch.length > 0 && !closed) options.onEvents(batch, lastId);
  };
  const connect = async (): Promise<void> => {
    let token: string | undefined;
    if (apiToken() !== undefined) {
      const grant = await api<{ token: string }>("/stream-tokens", { body: { ttlSeconds: 3600, ...(options.runId === undefined ? {} : { runId: options.runId }) } });
      token = grant.token;
    }
    if (closed) return;
    const path = options.runId === undefined ? "/stream" : `/runs/${encodeURIComponent(options.runId)}/stream`;
    source = new EventSource(apiUrl(path, { after: lastId, types: options.types, token }));
    source.onopen = () => options.onOpen?.();
    source.onmessage = (message: MessageEvent<string>) => {
      lastId = Number(message.lastEventId);
      pending.push(JSON.parse(message.data) as RuntrailEvent);
      if (frame === 0) frame = requestAnimationFrame(flush);
    };
    source.addEventListener("end", () => {
      flush();
      source?.close();
      options.onEnd?.();
    });
    source.onerror = () => {
      // CLOSED: the server refused the request (e.g. the stream token expired); else the browser retries by itself.
      if (source?.readyState === EventSource.CLOSED && !closed) setTimeout(() => void connect().catch(fail), 1_000);
    };
  };
  const fail = (error: unknown): void => options.onError?.(error instanceof Error ? error.message : String(error));
  connect().catch(fail);
  return () => {
    closed = true;
    if (frame !== 0) cancelAnimationFrame(frame);
    source?.close();
  };
}
