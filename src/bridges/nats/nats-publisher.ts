/**
 * The publisher: a lossless bus consumer that publishes every event to JetStream, with its id as
 * the message id (`Nats-Msg-Id`), so a republished event is dropped by the stream's duplicate
 * window. Acks are pipelined (up to `maxInFlight` publishes wait for theirs at once); a failed
 * publish is retried with backoff, forever, and while any is retrying no new event is read, so the
 * bus subscription fills and producers wait (`emit` returns a promise): nothing is dropped.
 */
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { EventBus, EventFilter } from "../../bus/index.js";
import type { JsonFault, RuntrailEvent } from "../../events/index.js";
import { EventPayloadError, prepareEvent } from "../../store/index.js";
import { DEFAULT_PREFIX } from "./nats-stream.js";
import { checkPrefix, eventSubject } from "./nats-subjects.js";

/** A publish that failed and will be retried after `retryInMs`. */
export interface PublishFailure {
  readonly error: unknown;
  readonly eventId: string;
  /** 1 for the first failure of this event. */
  readonly attempt: number;
  readonly retryInMs: number;
  /** Events emitted and not yet acknowledged by JetStream (in flight, retrying or buffered). */
  readonly waiting: number;
  /**
   * Present when the event had values JSON cannot hold as they are (a BigInt, a circle, …): it was
   * published, not retried, with a marker in place of each, as the store writer stores it; `error`
   * is an `EventPayloadError` naming the run, seq and paths.
   */
  readonly faults?: readonly JsonFault[];
}

/** Options of {@link createNatsPublisher}. */
export interface NatsPublisherOptions {
  /** Default `runtrail.ev`. */
  readonly prefix?: string;
  /** Which events to publish. Default: all. */
  readonly filter?: EventFilter;
  /** Publishes awaiting their ack at once. Default 1,000. */
  readonly maxInFlight?: number;
  /** The bus subscription's bound: events buffered while NATS is slow or away, before producers wait. Default 10,000. */
  readonly bufferSize?: number;
  /** How long a publish waits for its ack before it is retried. Default 5,000 ms. */
  readonly timeoutMs?: number;
  /** First retry delay, doubled per failure of the same event up to `maxRetryDelayMs`. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** Default 5,000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Every failed attempt, and every event published with markers (`faults`). Default: a `console.warn` (failed attempts at most once a second, with how many events wait). */
  readonly onError?: (failure: PublishFailure) => void;
}

/** Counters of what the publisher did. */
export interface NatsPublisherStats {
  /** Acknowledged by JetStream (duplicates included). */
  readonly acked: number;
  /** Acknowledged as duplicates (already in the stream). */
  readonly duplicates: number;
  /** Emitted, not yet acknowledged. */
  readonly waiting: number;
  readonly failures: number;
  /** Whether some event is waiting to be published again (NATS unreachable or refusing). */
  readonly retrying: boolean;
}

/**
 * A running publisher.
 *
 * @example
 * const publisher = createNatsPublisher(bus, nc);
 * bus.emit({ type: "run.started", runId: "r1", workflow: { name: "etl" } });
 * await publisher.close(); // every event emitted before is in the stream
 */
export interface NatsPublisher {
  /** Resolves once every event emitted before the call is acknowledged by JetStream. */
  flush(): Promise<void>;
  /** Flushes, then stops reading the bus. Close it before the connection. */
  close(): Promise<void>;
  stats(): NatsPublisherStats;
}

/**
 * Starts publishing the events of `bus` (those matching `filter`) to JetStream over `nc`.
 *
 * @example
 * const nc = await connect({ servers: "127.0.0.1:4222" });
 * await ensureNatsStream(nc);
 * const publisher = createNatsPublisher(bus, nc, { maxInFlight: 1_000 });
 * await etl.run(input, { bus });
 * await publisher.close();
 */
export function createNatsPublisher(bus: EventBus, nc: NatsConnection, options: NatsPublisherOptions = {}): NatsPublisher {
  const js = jetstream(nc);
  const prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1_000);
  const timeout = options.timeoutMs ?? 5_000;
  const firstDelay = options.retryDelayMs ?? 100;
  const maxDelay = options.maxRetryDelayMs ?? 5_000;
  const subscription = bus.subscribe(options.filter, { overflow: "block", bufferSize: options.bufferSize ?? 10_000 });
  let seen = 0;
  const stopCounting = bus.onEvent(() => void seen++, options.filter);

  const counts = { acked: 0, duplicates: 0, failures: 0 };
  let inFlight = 0;
  /** Events that failed at least once and are not acknowledged yet: no new event is read meanwhile. */
  let retrying = 0;
  let wakeReader: (() => void) | undefined;
  /** Events read are numbered 0, 1, …; `done` of them, from the first, are acknowledged. */
  let done = 0;
  const doneAhead = new Set<number>();
  let waiters: { count: number; resolve: () => void }[] = [];
  let lastWarning = 0;

  const report = (failure: PublishFailure): void => {
    try {
      if (options.onError !== undefined) return options.onError(failure);
      if (failure.faults !== undefined) return console.warn(`[runtrail] NATS publish: ${(failure.error as Error).message}`);
      if (Date.now() - lastWarning < 1_000) return;
      lastWarning = Date.now();
      const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
      console.warn(`[runtrail] NATS publish failing, ${failure.waiting} events waiting (none dropped; producers wait once ${options.bufferSize ?? 10_000} are buffered), retrying: ${message}`);
    } catch {
      // A throwing error hook must not stop the publisher.
    }
  };

  const room = (): void => {
    const wake = wakeReader;
    wakeReader = undefined;
    wake?.();
  };

  const complete = (index: number): void => {
    if (index !== done) doneAhead.add(index);
    else for (done++; doneAhead.delete(done); ) done++;
    if (waiters.length > 0 && waiters.some((w) => w.count <= done)) {
      for (const waiter of waiters) if (waiter.count <= done) waiter.resolve();
      waiters = waiters.filter((w) => w.count > done);
    }
  };

  /**
   * The event's JSON through the store's one JSON-safe boundary (no redaction, no size limit: the
   * collector's writer applies its own), so one bad value never ends the reader. Encoded once:
   * a retry sends the same text.
   */
  const encode = (event: RuntrailEvent): string => {
    const prepared = prepareEvent(event, { redact: false, maxFieldBytes: Number.POSITIVE_INFINITY });
    const faults = prepared.faults;
    if (faults !== undefined) {
      report({ error: new EventPayloadError(event.runId, event.seq, event.type, faults), eventId: event.id, attempt: 1, retryInMs: 0, waiting: seen - done, faults });
    }
    return prepared.body;
  };

  const send = (event: RuntrailEvent, index: number, attempt: number, body = encode(event)): void => {
    inFlight++;
    js.publish(eventSubject(prefix, event), body, { msgID: event.id, timeout }).then(
      (ack) => {
        counts.acked++;
        if (ack.duplicate) counts.duplicates++;
        if (attempt > 1) retrying--;
        inFlight--;
        complete(index);
        room();
      },
      (error: unknown) => {
        counts.failures++;
        if (attempt === 1) retrying++;
        const retryInMs = Math.min(firstDelay * 2 ** (attempt - 1), maxDelay);
        report({ error, eventId: event.id, attempt, retryInMs, waiting: seen - done });
        setTimeout(() => {
          inFlight--;
          send(event, index, attempt + 1, body);
          room();
        }, retryInMs);
      },
    );
  };

  const reader = (async () => {
    let index = 0;
    for (;;) {
      while (inFlight >= maxInFlight || retrying > 0) await new Promise<void>((resolve) => (wakeReader = resolve));
      // What is buffered already is taken at once (next() hands it over synchronously) and published
      // in one turn: the client writes its outbound buffer on the next microtask, so events sent
      // one await apart would each cost a socket write.
      const batch = [subscription.next()];
      while (subscription.buffered > 0 && inFlight + batch.length < maxInFlight) batch.push(subscription.next());
      const taken = await Promise.all(batch);
      let ended = false;
      for (const next of taken) {
        if (next.done === true) ended = true;
        else send(next.value, index++, 1);
      }
      if (ended) break;
    }
  })();

  const flush = (): Promise<void> => {
    const target = seen;
    if (target <= done) return Promise.resolve();
    return new Promise((resolve) => waiters.push({ count: target, resolve }));
  };
  let closed: Promise<void> | undefined;
  return {
    flush,
    close() {
      closed ??= (async () => {
        stopCounting();
        await flush();
        subscription.unsubscribe();
        room();
        await reader;
      })();
      return closed;
    },
    stats: () => ({ ...counts, waiting: seen - done, retrying: retrying > 0 }),
  };
}
