/**
 * The collector: a durable pull consumer with explicit acks that stores the events of the stream
 * through a store writer, and acks each message only once the writer has committed its event.
 *
 * Idempotent by (account, run, seq), whatever JetStream's duplicate window: per run it knows the
 * last stored seq (read from the store the first time it meets the run) and the last it handed
 * to the writer. An event at or below the stored seq is acked as a duplicate; one handed to the
 * writer and not yet committed waits for that commit (it is a redelivery); the next seq is
 * stored; a later one (a gap: the publisher retried an earlier event, or another collector holds
 * it) is re-checked against the store and otherwise handed back (`nak`) to be delivered again
 * after `gapDelayMs`. So a collector killed at any point and restarted stores nothing twice and
 * misses nothing: what it had not acked is delivered again, and what it had stored is skipped.
 * Several collectors may share the consumer (for availability): the store's key and
 * {@link idempotentStore} keep their overlap harmless, and gaps between them resolve by redelivery.
 */
import { jetstream, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createBus } from "../../bus/index.js";
import { parseEvent, type RuntrailEvent } from "../../events/index.js";
import { createStoreWriter, type EventStore, type StoreWriter, type StoreWriterOptions } from "../../store/index.js";
import { announceCommit, DEFAULT_COMMIT_SUBJECT } from "./nats-commit-signal.js";
import { CollectorLedger } from "./nats-collector-ledger.js";
import { idempotentStore } from "./nats-idempotent-store.js";
import { ensureCollectorConsumer, type CollectorConsumerOptions } from "./nats-stream.js";
import { checkPrefix } from "./nats-subjects.js";

/** Options of {@link startNatsCollector}. */
export interface NatsCollectorOptions extends CollectorConsumerOptions {
  /** The writer's options. Default: batches of 2,000 events or 50 ms. */
  readonly writer?: StoreWriterOptions;
  /** How often the runs with events held after a gap are read again from the store. Default 100 ms. */
  readonly gapDelayMs?: number;
  /** Where commits are announced (for `natsCommitSignal`); `false` announces nothing. Default `runtrail.commit`. */
  readonly commitSubject?: string | false;
  /** Messages pulled ahead of the writer. Default 1,000. */
  readonly pullBatch?: number;
  /** Runs whose last seq is remembered; beyond, settled runs are forgotten (and re-read when met again). Default 100,000. */
  readonly maxRuns?: number;
  /** A message that is not a Runtrail event (it is terminated, never delivered again). Default `console.warn`. */
  readonly onInvalid?: (error: unknown, subject: string) => void;
}

/** Counters of what a collector did. */
export interface NatsCollectorStats {
  /** Events handed to the writer. */
  readonly stored: number;
  /** Messages of events already stored or on their way (acked, at once or with their commit). */
  readonly duplicates: number;
  /** Messages held (or handed back) because an earlier event of their run was missing. */
  readonly gaps: number;
  readonly invalid: number;
}

/**
 * A running collector.
 *
 * @example
 * const collector = await startNatsCollector(nc, store, { durable: "pg-main" });
 * // … later
 * await collector.close(); // commits and acks what it took
 */
export interface NatsCollector {
  readonly writer: StoreWriter;
  stats(): NatsCollectorStats;
  /** Stops pulling, commits and acks what it holds, then stops its writer (not the store or the connection). */
  close(): Promise<void>;
}

/**
 * Starts collecting into `store` (the consumer is created or checked first).
 *
 * @example
 * const store = await openPostgresStore({ connectionString: process.env.DATABASE_URL! });
 * const collector = await startNatsCollector(nc, store, { durable: "pg-main" });
 * process.on("SIGTERM", () => void collector.close());
 */
export async function startNatsCollector(nc: NatsConnection, store: EventStore, options: NatsCollectorOptions = {}): Promise<NatsCollector> {
  const { stream, durable } = await ensureCollectorConsumer(nc, options);
  const commitSubject = options.commitSubject === false ? undefined : checkPrefix(options.commitSubject ?? DEFAULT_COMMIT_SUBJECT, "commit subject");
  const gapDelayMs = options.gapDelayMs ?? 100;
  const onInvalid = options.onInvalid ?? ((error: unknown, subject: string) => console.warn(`[runtrail] collector: dropped a message on ${subject} that is not a Runtrail event: ${error instanceof Error ? error.message : String(error)}`));

  // The writer reads a bus; this one re-emits events with the seq and ts they were stamped with.
  let ts = 0;
  const relay = createBus({ clock: () => ts });
  const writer = createStoreWriter(relay, idempotentStore(store), { batchSize: 2_000, flushIntervalMs: 50, ...options.writer });
  const ledger = new CollectorLedger(
    store,
    (event) => {
      const { id: _id, seq, ts: stamped, ...input } = event;
      relay.resumeRun(event.runId, seq - 1);
      ts = stamped;
      return relay.emit(input);
    },
    { maxRuns: options.maxRuns ?? 100_000, holdMs: Math.min((options.ackWaitMs ?? 30_000) / 2, 5_000), nakDelayMs: gapDelayMs },
  );
  const stopCommits = writer.onCommit((batch) => {
    ledger.committed(batch.events);
    if (commitSubject !== undefined) announceCommit(nc, commitSubject, batch);
  });

  /** A message's event, or `undefined` (terminated and reported) when it is none. */
  const parse = (msg: JsMsg): RuntrailEvent | undefined => {
    try {
      return parseEvent(msg.json(), `NATS subject ${msg.subject}`);
    } catch (error) {
      ledger.counts.invalid++;
      msg.term();
      onInvalid(error, msg.subject);
      return undefined;
    }
  };
  // Held events wait for this round as well as for their predecessor's arrival.
  const timer = setInterval(() => void ledger.recheck(), gapDelayMs);

  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: options.pullBatch ?? 1_000 });
  const loop = (async () => {
    for await (const msg of messages) {
      const event = parse(msg);
      const wait = event === undefined ? undefined : ledger.take(event, msg);
      if (wait !== undefined) await wait;
    }
  })();

  let closed: Promise<void> | undefined;
  return {
    writer,
    stats: () => ({ ...ledger.counts }),
    close() {
      closed ??= (async () => {
        messages.stop();
        await loop;
        clearInterval(timer);
        ledger.releaseHeld();
        await writer.close();
        stopCommits();
        await relay.close();
        await nc.flush();
      })();
      return closed;
    },
  };
}
