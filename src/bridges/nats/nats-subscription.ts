/**
 * Remote subscriptions: the events of a filter, read from the JetStream stream by an ordered
 * consumer (no state on the server beyond its life), from a cursor, live, in seq order per run.
 * For a CLI `tail` or any process that is not the workers' own.
 */
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { compileFilter, type EventFilter } from "../../bus/index.js";
import { parseEvent, type RuntrailEvent } from "../../events/index.js";
import { RunOrder } from "./nats-run-order.js";
import { DEFAULT_PREFIX, DEFAULT_STREAM } from "./nats-stream.js";
import { checkPrefix, subjectFilter } from "./nats-subjects.js";

/** Options of {@link subscribeNats}. */
export interface NatsSubscribeOptions {
  /** Default `RUNTRAIL`. */
  readonly stream?: string;
  /** Default `runtrail.ev`. */
  readonly prefix?: string;
  /** With a single `runId` in the filter: events with a seq above this. Default 0. */
  readonly after?: number;
  /** Messages after this stream sequence (a subscription's `streamSeq`, to resume one). Default: the stream's first. */
  readonly afterStreamSeq?: number;
  /** How long a run's event waits for an earlier one that is missing before it is delivered anyway. Default 5,000 ms. */
  readonly reorderWindowMs?: number;
}

/**
 * A live remote subscription.
 *
 * @example
 * const events = await subscribeNats(nc, { runId: "run-1" });
 * for await (const event of events) console.log(event.seq, event.type);
 */
export interface NatsSubscription extends AsyncIterable<RuntrailEvent> {
  /** The stream sequence of the last message read: pass it as `afterStreamSeq` to resume. */
  readonly streamSeq: number;
  close(): Promise<void>;
}

/**
 * Subscribes to the events matching `filter` (mapped to one subject filter, the rest checked here).
 *
 * @example
 * const tail = await subscribeNats(nc, { accountId: "acme", type: "step.*" });
 * for await (const event of tail) console.log(event.runId, event.seq, event.type);
 */
export async function subscribeNats(nc: NatsConnection, filter: EventFilter = {}, options: NatsSubscribeOptions = {}): Promise<NatsSubscription> {
  const prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
  const subject = subjectFilter(prefix, filter);
  const matcher = compileFilter(filter);
  const runId = typeof filter.runId === "string" ? filter.runId : filter.runId?.length === 1 ? filter.runId[0] : undefined;
  const start = options.afterStreamSeq ?? 0;
  // Only a subject that names no type holds every event of its runs; only then can a missing seq
  // be told from a filtered one, so only then are runs reordered (before the filter is applied).
  const contiguous = subject.split(".").length === prefix.split(".").length + 4;
  const order = new RunOrder(contiguous, options.reorderWindowMs ?? 5_000, start <= 0);
  if (runId !== undefined && options.after !== undefined) order.start(runId, options.after);

  const js = jetstream(nc);
  const consumer = await js.consumers.get(options.stream ?? DEFAULT_STREAM, {
    filter_subjects: subject,
    ...(start <= 0 ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start + 1 }),
  });
  const messages = await consumer.consume();
  let streamSeq = start;

  const wanted = (event: RuntrailEvent): boolean => matcher === undefined || matcher(event);
  async function* events(): AsyncGenerator<RuntrailEvent> {
    const iterator = messages[Symbol.asyncIterator]();
    let pending = iterator.next();
    for (;;) {
      const next = await order.race(pending);
      for (const event of order.due()) if (wanted(event)) yield event;
      if (next === undefined) continue;
      if (next.done === true) break;
      pending = iterator.next();
      const msg = next.value;
      streamSeq = msg.seq;
      let event: RuntrailEvent;
      try {
        event = parseEvent(msg.json(), `NATS subject ${msg.subject}`);
      } catch {
        continue;
      }
      for (const ready of order.push(event)) if (wanted(ready)) yield ready;
    }
    for (const event of order.drain()) if (wanted(event)) yield event;
  }
  const iterable = events();
  return {
    get streamSeq() {
      return streamSeq;
    },
    [Symbol.asyncIterator]: () => iterable,
    async close() {
      order.stop();
      // Not `messages.close()`: it resolves only once an iterator has read the stop, and a loop
      // that broke out of the subscription never reads again.
      messages.stop();
      await consumer.delete().catch(() => false);
    },
  };
}
