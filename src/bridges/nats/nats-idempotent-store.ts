/**
 * The store as a collector writes to it: an append that skips the events already stored, so a
 * batch that partly overlaps what another collector (or an earlier life of this one) committed
 * still commits, instead of failing on the (account, run, seq) key and being retried forever.
 * JetStream's duplicate window is minutes; this holds for any age.
 */
import { projectBatch, type AppendBatch, type AppendResult, type EventStore, type PreparedEvent } from "../../store/index.js";

/**
 * Wraps `store` for a writer fed from NATS. The first attempt at a batch is a plain append (the
 * collector already skips events it knows are stored, so this is the common path at full speed).
 * If it fails, or the writer retries after an unknown outcome, the batch is checked against each
 * run's last stored seq: what is stored is dropped, the rest appended with its projections
 * recomputed. If nothing was stored, the first failure stands (the writer reports it and retries).
 *
 * @example
 * const writer = createStoreWriter(relayBus, idempotentStore(store));
 */
export function idempotentStore(store: EventStore): EventStore {
  const unstored = async (events: readonly PreparedEvent[]): Promise<PreparedEvent[]> => {
    const last = new Map<string, number>();
    for (const { event } of events) {
      const key = `${event.accountId}\u0000${event.runId}`;
      if (!last.has(key)) last.set(key, await store.lastSeq(event.accountId, event.runId));
    }
    return events.filter(({ event }) => event.seq > last.get(`${event.accountId}\u0000${event.runId}`)!);
  };
  const appendRest = async (batch: AppendBatch, failure?: unknown): Promise<AppendResult> => {
    const rest = await unstored(batch.events);
    if (rest.length === batch.events.length) {
      if (failure !== undefined) throw failure;
      return store.append(batch);
    }
    if (rest.length > 0) await store.append({ events: rest, ...projectBatch(rest) });
    // Cursors are aligned with the whole batch, which was not all written now: none.
    return {};
  };
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key !== "append") return Reflect.get(target, key, receiver) as unknown;
      return async (batch: AppendBatch): Promise<AppendResult> => {
        if (batch.maybeStored === true) return appendRest({ ...batch, maybeStored: false });
        try {
          return await target.append(batch);
        } catch (error) {
          return appendRest(batch, error);
        }
      };
    },
  });
}
