/**
 * The store writer's public shapes: its options, durability modes, failures, stats, the batches
 * it announces, and the `StoreWriter` interface itself (see `store-writer.ts` for how it works).
 */
import type { EventBus, EventFilter } from "../../bus/index.js";
import type { JsonFault } from "../../events/index.js";
import type { PayloadOptions } from "../store-payload.js";
import type { PreparedEvent } from "../store-types.js";

/** How durable an event is when the producer continues. See the module comment for the bounds. */
export type Durability = "batched" | "sync";

/**
 * A failed write attempt, which the writer retries after `retryInMs`; or (`stage`
 * `commit-listener`, `accept-listener`) an `onCommit` or `onAccept` listener that threw, which
 * changes nothing for the writer; or (`stage` `payload`) an event with values JSON cannot hold as
 * they are (a BigInt, a circle, a throwing `toJSON`, too deep, a Map, NaN…): it is stored at its
 * seq with a marker in place of each (`{"$unserializable":"BigInt","path":"output.total"}`), and
 * `runId`, `seq` and `faults` say which event and where; `error` is an {@link EventPayloadError}.
 */
export interface WriterFailure {
  readonly stage: "write" | "commit-listener" | "accept-listener" | "payload";
  readonly error: unknown;
  /** 1 for the first failure of this batch. */
  readonly attempt: number;
  readonly batchSize: number;
  readonly retryInMs: number;
  /** `payload`: the event's run. */
  readonly runId?: string;
  /** `payload`: the event's seq (it is stored at this seq, with markers). */
  readonly seq?: number;
  /** `payload`: each value replaced by a marker, with its path from the event (`output.total`). */
  readonly faults?: readonly JsonFault[];
}

/** Options of {@link createStoreWriter}. */
export interface StoreWriterOptions extends PayloadOptions {
  /** Default `batched`. */
  durability?: Durability;
  /**
   * Most events per transaction. Default 5,000: under load, fewer and larger commits write each
   * hot page (a run's index page, its projection row) once per commit rather than five times.
   * A batch is committed off the caller's thread (a database server, the SQLite write thread), so
   * its size does not stall the caller. Under light load, `flushIntervalMs` decides, not this.
   */
  batchSize?: number;
  /** `batched`: longest an event waits before its batch is committed. Default 100 ms. */
  flushIntervalMs?: number;
  /** The bus subscription's bound (events waiting to be read by the writer). Default 10,000. */
  bufferSize?: number;
  /**
   * Events the writer holds (read, not yet committed, including the batch being committed) before
   * it stops reading the bus. Default 50,000. With `bufferSize`, the most events a crash can lose
   * in `batched` mode: `maxPending + bufferSize`.
   */
  maxPending?: number;
  /** First retry delay; doubles per failure up to `maxRetryDelayMs`. Default 50 ms. */
  retryDelayMs?: number;
  /** Default 5,000 ms. */
  maxRetryDelayMs?: number;
  /** Which events to store. Default: all. */
  filter?: EventFilter;
  /** Where failed attempts are reported. Default `console.warn`. */
  onError?: (failure: WriterFailure) => void;
}

/** Counters of what the writer did. */
export interface WriterStats {
  received: number;
  written: number;
  /** Read from the bus or waiting in the subscription, not yet committed. */
  pending: number;
  batches: number;
  failures: number;
  /** Whether the writer is waiting to retry a failed batch. */
  retrying: boolean;
}

/**
 * A batch the writer has committed, as stored: each event redacted and size-limited, with its
 * JSON body text and its cursor. Listeners get batches in commit order.
 */
export interface CommittedBatch {
  readonly events: readonly PreparedEvent[];
  /** Aligned with `events`; absent in the rare case a retry found the batch already committed. */
  readonly cursors?: readonly number[];
}

/**
 * A running store writer.
 *
 * @example
 * const writer = createStoreWriter(bus, store, { durability: "sync" });
 * await writer.bus.emit({ type: "run.started", runId: "r1", workflow: { name: "etl" } }); // committed
 * await writer.close();
 */
export interface StoreWriter {
  /**
   * The bus producers should emit into. In `sync` mode its `emit` always returns a promise that
   * resolves once the event is committed; in `batched` mode it is the bus itself.
   */
  readonly bus: EventBus;
  readonly durability: Durability;
  /** Resolves when every event emitted before the call is committed. */
  flush(): Promise<void>;
  /** Commits every event emitted before the call, then stops. Idempotent. */
  close(): Promise<void>;
  stats(): WriterStats;
  /**
   * Calls `listener` after each commit, before `flush()` and `sync` emits resolve for its events,
   * so whoever is told "committed" can already read them. Listeners run synchronously on the
   * writer's path: keep them short. One that throws is reported through `onError` and ignored.
   * Returns what removes the listener.
   */
  onCommit(listener: (batch: CommittedBatch) => void): () => void;
  /**
   * Calls `listener` with each event as soon as the writer has taken it to store, before it is
   * committed: as it will be stored (redacted, size-limited, with its body text), a run's events
   * in seq order. Only events that match the writer's `filter` are taken. This is the earliest
   * point at which an event is known to be on its way to the store, so live views that must look
   * exactly like the stored trail start here (the server's run streams do). A crash can still
   * lose an accepted event (see the durability modes). Listeners run synchronously on the
   * writer's path; one that throws is reported through `onError` and ignored.
   */
  onAccept(listener: (event: PreparedEvent) => void): () => void;
}

/** Thrown by `writer.bus.emit` in `sync` mode once the writer is closed. */
export class WriterClosedError extends Error {
  override readonly name = "WriterClosedError";
  constructor() {
    super("the store writer is closed; events emitted now would not be stored");
  }
}

/** How many faults an {@link EventPayloadError}'s message lists before "and N more". */
const LISTED_FAULTS = 5;

/**
 * The `error` of a `payload` {@link WriterFailure}: which event had values JSON cannot hold as
 * they are, and where each was; the event was stored with markers in their place.
 *
 * @example
 * // event run-1:3 (step.completed) stored with 1 value replaced by a marker: output.total: BigInt (10)
 */
export class EventPayloadError extends Error {
  override readonly name = "EventPayloadError";
  constructor(
    readonly runId: string,
    readonly seq: number,
    readonly type: string,
    readonly faults: readonly JsonFault[],
  ) {
    const listed = faults.slice(0, LISTED_FAULTS).map((f) => `${f.path || "(the event)"}: ${f.kind}${f.detail === undefined ? "" : ` (${f.detail})`}`);
    const more = faults.length > LISTED_FAULTS ? `, and ${faults.length - LISTED_FAULTS} more` : "";
    const values = faults.length === 1 ? "1 value" : `${faults.length} values`;
    super(`event ${runId}:${seq} (${type}) stored with ${values} replaced by a marker: ${listed.join("; ")}${more}`);
  }
}
