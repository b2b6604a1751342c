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

interface Held {
  readonly event: RuntrailEvent;
  readonly msg: JsMsg;
  readonly since: number;
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
  const gapDelayMs = options.gapDelayMs ?? 100;
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
  /** Events after a gap in their run, by run and seq, until what is missing is handed or stored. */
  const held = new Map<string, Map<number, Held>>();
  const holdMs = Math.min((options.ackWaitMs ?? 30_000) / 2, 5_000);

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

  /** Hands an event to the writer, then the held events of its run that follow it. */
  const hand = (run: RunState, key: string, event: RuntrailEvent, msg: JsMsg): Promise<void> | undefined => {
    let pressure: Promise<void> | undefined;
    for (let next: Held | undefined = { event, msg, since: 0 }; next !== undefined; ) {
      run.handed = next.event.seq;
      const entryKey = `${key}\u0000${next.event.seq}`;
      const entry = { key: entryKey, msgs: [next.msg] };
      handed.push(entry);
      byEvent.set(entryKey, entry);
      counts.stored++;
      const { id: _id, seq, ts: stamped, ...input } = next.event;
      relay.resumeRun(next.event.runId, seq - 1);
      ts = stamped;
      pressure = relay.emit(input) ?? pressure;
      const waiting = held.get(key);
      next = waiting?.get(run.handed + 1);
      if (next !== undefined) {
        waiting!.delete(run.handed + 1);
        if (waiting!.size === 0) held.delete(key);
      }
    }
    return pressure;
  };

  /** Acks, joins to the commit it waits for, hands, or holds a message, by what is known of its run. */
  const place = (run: RunState, key: string, event: RuntrailEvent, msg: JsMsg): Promise<void> | undefined => {
    if (event.seq <= run.stored) {
      counts.duplicates++;
      msg.ack();
      return undefined;
    }
    if (event.seq <= run.handed) {
      counts.duplicates++;
      const entry = byEvent.get(`${key}\u0000${event.seq}`);
      if (entry !== undefined) entry.msgs.push(msg);
      else msg.ack();
      return undefined;
    }
    if (event.seq === run.handed + 1) return hand(run, key, event, msg);
    // A gap: the missing event is later in the stream (a publisher retried it) or with another collector.
    counts.gaps++;
    let waiting = held.get(key);
    if (waiting === undefined) held.set(key, (waiting = new Map()));
    if (waiting.has(event.seq)) msg.nak(gapDelayMs);
    else waiting.set(event.seq, { event, msg, since: Date.now() });
    return undefined;
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
    const pressure = place(run, key, event, msg);
    if (pressure !== undefined) await pressure;
  };

  /**
   * Every `gapDelayMs`, the runs with held events are read again from the store (another
   * collector may have stored what was missing); an event held for half the ack wait is handed
   * back to JetStream (`nak`), so it can go to whoever has its predecessor.
   */
  let checking = false;
  const recheck = async (): Promise<void> => {
    if (checking || held.size === 0) return;
    checking = true;
    try {
      for (const [key, waiting] of [...held]) {
        const run = runs.get(key)!;
        const any = waiting.values().next().value!.event;
        const stored = await store.lastSeq(any.accountId, any.runId);
        if (stored > run.stored) run.stored = stored;
        if (stored > run.handed) run.handed = stored;
        const now = Date.now();
        for (const seq of [...waiting.keys()].sort((x, y) => x - y)) {
          const entry = waiting.get(seq);
          if (entry === undefined) continue;
          if (seq <= run.handed + 1) {
            waiting.delete(seq);
            if (waiting.size === 0) held.delete(key);
            void place(run, key, entry.event, entry.msg);
          } else if (now - entry.since > holdMs) {
            waiting.delete(seq);
            if (waiting.size === 0) held.delete(key);
            entry.msg.nak();
          }
        }
      }
    } catch {
      // The store is away: the next round tries again, and JetStream redelivers what waits too long.
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void recheck(), gapDelayMs);

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
        clearInterval(timer);
        for (const waiting of held.values()) for (const { msg } of waiting.values()) msg.nak();
        held.clear();
        await writer.close();
        stopCommits();
        await relay.close();
        await nc.flush();
      })();
      return closed;
    },
  };
}
