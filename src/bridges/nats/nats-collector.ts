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
import { idempotentStore } from "./nats-idempotent-store.js";
import { ensureCollectorConsumer, type CollectorConsumerOptions } from "./nats-stream.js";
import { checkPrefix } from "./nats-subjects.js";

/** Options of {@link startNatsCollector}. */
export interface NatsCollectorOptions extends CollectorConsumerOptions {
  /** The writer's options. Default: batches of 2,000 events or 50 ms. */
  readonly writer?: StoreWriterOptions;
  /** How long an event after a gap waits before it is delivered again. Default 250 ms. */
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
  /** Messages acked as already stored. */
  readonly duplicates: number;
  /** Messages handed back because an earlier event of the run was missing. */
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

interface RunState {
  /** Last seq known to be stored. */
  stored: number;
  /** Last seq handed to the writer (≥ stored). */
  handed: number;
}

/** Starts collecting into `store` (the consumer is created or checked first). */
export async function startNatsCollector(nc: NatsConnection, store: EventStore, options: NatsCollectorOptions = {}): Promise<NatsCollector> {
  const { stream, durable } = await ensureCollectorConsumer(nc, options);
  const commitSubject = options.commitSubject === false ? undefined : checkPrefix(options.commitSubject ?? DEFAULT_COMMIT_SUBJECT, "commit subject");
  const gapDelayMs = options.gapDelayMs ?? 250;
  const maxRuns = options.maxRuns ?? 100_000;
  const onInvalid = options.onInvalid ?? ((error: unknown, subject: string) => console.warn(`[runtrail] collector: dropped a message on ${subject} that is not a Runtrail event: ${error instanceof Error ? error.message : String(error)}`));

  // The writer reads a bus; this one re-emits events with the seq and ts they were stamped with.
  let ts = 0;
  const relay = createBus({ clock: () => ts });
  const writer = createStoreWriter(relay, idempotentStore(store), { batchSize: 2_000, flushIntervalMs: 50, ...options.writer });
  const counts = { stored: 0, duplicates: 0, gaps: 0, invalid: 0 };
  const runs = new Map<string, RunState>();
  /** Messages handed to the writer, in its commit order, with the redeliveries met meanwhile. */
  const handed: { key: string; msgs: JsMsg[] }[] = [];
  let handedHead = 0;
  const byEvent = new Map<string, { msgs: JsMsg[] }>();

  const stopCommits = writer.onCommit((batch) => {
    for (const { event } of batch.events) {
      const entry = handed[handedHead++]!;
      for (const msg of entry.msgs) msg.ack();
      byEvent.delete(entry.key);
      const run = runs.get(`${event.accountId}\u0000${event.runId}`);
      if (run !== undefined && event.seq > run.stored) run.stored = event.seq;
    }
    if (handedHead > 1_024 && handedHead * 2 > handed.length) {
      handed.splice(0, handedHead);
      handedHead = 0;
    }
    if (commitSubject !== undefined) announceCommit(nc, commitSubject, batch);
  });

  const forget = (): void => {
    for (const [key, run] of runs) {
      if (runs.size <= maxRuns) return;
      if (run.handed === run.stored) runs.delete(key);
    }
  };

  const handle = async (msg: JsMsg): Promise<void> => {
    let event: RuntrailEvent;
    try {
      event = parseEvent(msg.json(), `NATS subject ${msg.subject}`);
    } catch (error) {
      counts.invalid++;
      msg.term();
      onInvalid(error, msg.subject);
      return;
    }
    const key = `${event.accountId}\u0000${event.runId}`;
    let run = runs.get(key);
    if (run === undefined) {
      const stored = await store.lastSeq(event.accountId, event.runId);
      runs.set(key, (run = { stored, handed: stored }));
      if (runs.size > maxRuns) forget();
    }
    for (let checked = false; ; checked = true) {
      if (event.seq <= run.stored) {
        counts.duplicates++;
        msg.ack();
        return;
      }
      if (event.seq <= run.handed) {
        const entry = byEvent.get(`${key}\u0000${event.seq}`);
        if (entry !== undefined) entry.msgs.push(msg);
        else msg.ack();
        return;
      }
      if (event.seq === run.handed + 1) break;
      // A gap: another collector may have stored it meanwhile.
      const stored = checked ? run.stored : await store.lastSeq(event.accountId, event.runId);
      if (checked || stored <= run.stored) {
        counts.gaps++;
        msg.nak(gapDelayMs);
        return;
      }
      run.stored = stored;
      if (run.handed < stored) run.handed = stored;
    }
    run.handed = event.seq;
    const entryKey = `${key}\u0000${event.seq}`;
    const entry = { key: entryKey, msgs: [msg] };
    handed.push(entry);
    byEvent.set(entryKey, entry);
    counts.stored++;
    const { id: _id, seq, ts: stamped, ...input } = event;
    relay.resumeRun(event.runId, seq - 1);
    ts = stamped;
    const pressure = relay.emit(input);
    if (pressure !== undefined) await pressure;
  };

  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: options.pullBatch ?? 1_000 });
  const loop = (async () => {
    for await (const msg of messages) await handle(msg);
  })();

  let closed: Promise<void> | undefined;
  return {
    writer,
    stats: () => ({ ...counts }),
    close() {
      closed ??= (async () => {
        messages.stop();
        await loop;
        await writer.close();
        stopCommits();
        await relay.close();
        await nc.flush();
      })();
      return closed;
    },
  };
}
