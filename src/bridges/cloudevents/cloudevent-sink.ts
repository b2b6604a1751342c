/**
 * `createCloudEventsSink`: a bus consumer that POSTs the trail as CloudEvents batches to a URL.
 * Lossless: it reads through a `block` subscription (the producer waits when the sink is
 * `maxBuffered` behind) and retries every batch until it is taken. Ordered per run: a run's events
 * always go through the same lane, one batch in flight per lane. Receivers deduplicate by `id`.
 */
import type { EventBus, EventFilter } from "../../bus/index.js";
import { resolveBackoff, type BackoffOptions } from "../../control/index.js";
import type { RuntrailEvent } from "../../events/index.js";
import { DeliveryLane, type DeliveryFailure } from "./cloudevent-lane.js";
import { toHttpBatch } from "./cloudevent-http.js";
import type { CloudEventOptions } from "./cloudevent-mapping.js";
import { postBatch } from "./cloudevent-post.js";

/** Options of {@link createCloudEventsSink}. */
export interface CloudEventsSinkOptions extends CloudEventOptions {
  readonly bus: EventBus;
  /** Where batches are POSTed (`application/cloudevents-batch+json`). */
  readonly url: string | URL;
  /** Only these events. Default: all. */
  readonly filter?: EventFilter;
  /** Extra request headers (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Most events per request. Default 100. */
  readonly maxBatch?: number;
  /** How long a lane waits for a batch to fill. Default 10 ms; 0 sends at once. */
  readonly lingerMs?: number;
  /** Most requests in flight at once (lanes). Default 4. */
  readonly maxInFlight?: number;
  /** Most events held before the producer is made to wait. Default 10,000. */
  readonly maxBuffered?: number;
  /** A request not answered after this is aborted and retried. Default 10,000 ms. */
  readonly requestTimeoutMs?: number;
  /** Delays between attempts. Default: 100 ms doubling to 10 s, equal jitter. */
  readonly backoff?: BackoffOptions;
  /** Attempts per batch before it is given up (reported with its events). Default: never give up. */
  readonly maxAttempts?: number;
  /** Told of every failed attempt and of every batch given up. Default: `console.warn`. */
  readonly onError?: (failure: DeliveryFailure) => void;
}

/** What the sink did. */
export interface CloudEventsSinkStats {
  readonly delivered: number;
  readonly failedAttempts: number;
  readonly givenUp: number;
  /** Events held, not yet taken by the receiver. */
  readonly pending: number;
}

/** The handle of an attached sink. */
export interface CloudEventsSink {
  /** Resolves once every event emitted so far has been taken by the receiver (or given up). */
  flush(): Promise<void>;
  stats(): CloudEventsSinkStats;
  /** Delivers what it holds (up to `timeoutMs`, default 30 s; the rest is given up and reported), then detaches. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** FNV-1a: a run id's lane, stable for the run's life. */
function laneOf(runId: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < runId.length; i++) hash = Math.imul(hash ^ runId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}

/**
 * Attaches a CloudEvents HTTP sink to a bus.
 *
 * @example
 * const sink = createCloudEventsSink({ bus, url: "https://events.example.com/ingest", deployment: "eu-1" });
 * await wf.run(input, { bus });
 * await sink.close();
 */
export function createCloudEventsSink(options: CloudEventsSinkOptions): CloudEventsSink {
  const url = String(new URL(options.url));
  const maxBuffered = options.maxBuffered ?? 10_000;
  const lanesCount = Math.max(1, options.maxInFlight ?? 4);
  const onError = options.onError ?? ((failure: DeliveryFailure) => console.warn(`[runtrail] cloudevents sink: batch of ${failure.events.length} ${failure.kind} after attempt ${failure.attempt}:`, failure.error));
  const counts = { delivered: 0, failedAttempts: 0, givenUp: 0 };
  let held = 0;
  let roomWaiter: (() => void) | undefined;
  const abandon = new AbortController();
  const report = (failure: DeliveryFailure): void => {
    if (failure.kind === "retrying") counts.failedAttempts++;
    else counts.givenUp += failure.events.length;
    try {
      onError(failure);
    } catch {
      // A throwing error hook must not stop delivery.
    }
  };
  const send = (events: readonly RuntrailEvent[], abandoned: AbortSignal) =>
    postBatch(url, toHttpBatch(events, options), options.headers, options.requestTimeoutMs ?? 10_000, abandoned);
  const lanes = Array.from(
    { length: lanesCount },
    () =>
      new DeliveryLane({
        send,
        maxBatch: Math.max(1, options.maxBatch ?? 100),
        lingerMs: options.lingerMs ?? 10,
        backoff: resolveBackoff({ initialDelayMs: 100, maxDelayMs: 10_000, jitter: "equal", ...options.backoff }),
        maxAttempts: options.maxAttempts ?? Infinity,
        report,
        delivered: (count, taken) => {
          held -= count;
          if (taken) counts.delivered += count;
          if (held < maxBuffered && roomWaiter !== undefined) roomWaiter();
        },
        abandon: abandon.signal,
      }),
  );

  const subscription = options.bus.subscribe(options.filter, { overflow: "block", bufferSize: Math.max(1, Math.floor(maxBuffered / 2)) });
  const loop = (async () => {
    for await (const event of subscription) {
      held++;
      lanes[laneOf(event.runId, lanesCount)]!.push(event);
      // Past the bound the loop stops reading: the subscription fills and the producer waits.
      if (held >= maxBuffered) await new Promise<void>((resolve) => (roomWaiter = resolve)).finally(() => (roomWaiter = undefined));
    }
  })();

  const flush = async (): Promise<void> => {
    // Events emitted so far reach the loop on microtasks; one macrotask later they are in a lane.
    do {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await Promise.all(lanes.map((lane) => lane.idle()));
    } while (subscription.buffered > 0 || lanes.some((lane) => lane.size > 0));
  };

  return {
    flush,
    stats: () => ({ ...counts, pending: held }),
    async close({ timeoutMs = 30_000 } = {}) {
      const deadline = setTimeout(() => abandon.abort(), timeoutMs);
      try {
        await Promise.race([flush(), new Promise((resolve) => abandon.signal.addEventListener("abort", resolve, { once: true }))]);
      } finally {
        clearTimeout(deadline);
        subscription.unsubscribe();
        abandon.abort();
        roomWaiter?.();
        await loop;
        await Promise.all(lanes.map((lane) => lane.idle()));
        for (const lane of lanes) {
          const rest = lane.takeRest();
          if (rest.length > 0) report({ kind: "gave-up", error: new Error("the sink closed before the receiver took these events"), attempt: 0, events: rest });
        }
      }
    },
  };
}
