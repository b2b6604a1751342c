/**
 * Stream and consumer setup: created when missing, checked (and their limits brought up to date)
 * when present, so a worker, a collector and a server can each call it at start in any order.
 */
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { checkPrefix } from "./nats-subjects.js";

/** The default stream name and subject prefix. */
export const DEFAULT_STREAM = "RUNTRAIL";
export const DEFAULT_PREFIX = "runtrail.ev";

const ns = (ms: number): number => Math.round(ms * 1_000_000);

/** Options of {@link ensureNatsStream}. Limits of 0 mean "none". */
export interface NatsStreamOptions {
  /** Default `RUNTRAIL`. */
  readonly name?: string;
  /** The events' subject prefix; the stream takes `<prefix>.>`. Default `runtrail.ev`. */
  readonly prefix?: string;
  /** How long JetStream remembers a message id to drop a republished event. Default 2 minutes. */
  readonly duplicateWindowMs?: number;
  /** Oldest event kept. Default 7 days: collectors must catch up within it. */
  readonly maxAgeMs?: number;
  /** Default 0 (no limit but `maxAgeMs`). */
  readonly maxBytes?: number;
  /** Default 0. */
  readonly maxMessages?: number;
  /** Default `file` (survives a NATS restart); `memory` for tests and caches. */
  readonly storage?: "file" | "memory";
  /** Default 1 (a single NATS server); 3 on a cluster. */
  readonly replicas?: number;
}

/**
 * Creates the events stream, or checks that the one there takes `<prefix>.>` and sets its limits.
 * Retention is `limits` (events stay for collectors, servers and late subscribers alike, until
 * `maxAgeMs`), discard `old`. A stream whose subjects do not cover the prefix is an error, not
 * silently widened.
 *
 * @example
 * await ensureNatsStream(nc, { name: "RUNTRAIL", maxAgeMs: 86_400_000 });
 */
export async function ensureNatsStream(nc: NatsConnection, options: NatsStreamOptions = {}): Promise<void> {
  const name = options.name ?? DEFAULT_STREAM;
  const subject = `${checkPrefix(options.prefix ?? DEFAULT_PREFIX)}.>`;
  const limits = {
    duplicate_window: ns(options.duplicateWindowMs ?? 120_000),
    max_age: ns(options.maxAgeMs ?? 7 * 86_400_000),
    max_bytes: options.maxBytes === undefined || options.maxBytes === 0 ? -1 : options.maxBytes,
    max_msgs: options.maxMessages === undefined || options.maxMessages === 0 ? -1 : options.maxMessages,
  };
  const jsm = await jetstreamManager(nc);
  let info;
  try {
    info = await jsm.streams.info(name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
    await jsm.streams.add({
      name,
      subjects: [subject],
      retention: RetentionPolicy.Limits,
      storage: options.storage === "memory" ? StorageType.Memory : StorageType.File,
      num_replicas: options.replicas ?? 1,
      ...limits,
    });
    return;
  }
  if (!info.config.subjects.includes(subject)) {
    throw new Error(`NATS stream "${name}" takes ${JSON.stringify(info.config.subjects)}, not "${subject}": use another stream name or prefix`);
  }
  const { config } = info;
  if (config.duplicate_window !== limits.duplicate_window || config.max_age !== limits.max_age || config.max_bytes !== limits.max_bytes || config.max_msgs !== limits.max_msgs) {
    await jsm.streams.update(name, { ...config, ...limits });
  }
}

/** Options of {@link ensureCollectorConsumer}. */
export interface CollectorConsumerOptions {
  /** Default `RUNTRAIL`. */
  readonly stream?: string;
  /** The durable consumer's name, shared by every collector of one store. Default `runtrail-collector`. */
  readonly durable?: string;
  /** The one subject filter (NATS 2.9 takes one). Default `<prefix>.>`. */
  readonly filterSubject?: string;
  /** Default `runtrail.ev`. */
  readonly prefix?: string;
  /** How long a delivered event may wait for its commit before it is delivered again. Default 30 s. */
  readonly ackWaitMs?: number;
  /** Events delivered and not yet acknowledged, over all collectors. Default 20,000. */
  readonly maxAckPending?: number;
}

/**
 * Creates the collectors' durable pull consumer (explicit ack, from the stream's first event), or
 * checks the one there and updates its ack wait and pending bound.
 *
 * @example
 * await ensureCollectorConsumer(nc, { durable: "pg-main" });
 */
export async function ensureCollectorConsumer(nc: NatsConnection, options: CollectorConsumerOptions = {}): Promise<{ stream: string; durable: string }> {
  const stream = options.stream ?? DEFAULT_STREAM;
  const durable = options.durable ?? "runtrail-collector";
  if (!/^[A-Za-z0-9_-]+$/.test(durable)) throw new RangeError(`invalid consumer name "${durable}": use [A-Za-z0-9_-]`);
  const filter = options.filterSubject ?? `${checkPrefix(options.prefix ?? DEFAULT_PREFIX)}.>`;
  const editable = { ack_wait: ns(options.ackWaitMs ?? 30_000), max_ack_pending: options.maxAckPending ?? 20_000 };
  const jsm = await jetstreamManager(nc);
  let info;
  try {
    info = await jsm.consumers.info(stream, durable);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.ConsumerNotFound) throw error;
    await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: filter, ...editable });
    return { stream, durable };
  }
  if ((info.config.filter_subject ?? ">") !== filter) {
    throw new Error(`NATS consumer "${durable}" of stream "${stream}" filters "${info.config.filter_subject ?? ">"}", not "${filter}": use another durable name`);
  }
  if (info.config.ack_policy !== AckPolicy.Explicit) throw new Error(`NATS consumer "${durable}" does not use explicit acks: use another durable name`);
  if (info.config.ack_wait !== editable.ack_wait || info.config.max_ack_pending !== editable.max_ack_pending) {
    await jsm.consumers.update(stream, durable, editable);
  }
  return { stream, durable };
}
