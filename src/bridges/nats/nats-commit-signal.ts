/**
 * Commit notices over NATS: a collector announces each commit on `<subject>.<account>` (core
 * NATS, `{"a":account,"r":[runs]}`), and `natsCommitSignal` wakes a server's streams from them, so
 * a server with no writer of its own streams runs that workers publish and collectors store as
 * they are committed. A notice only wakes streams, which then read the store: a lost notice costs
 * latency (bounded by the server's polling floor), a duplicate nothing; after a reconnect every
 * stream is woken, for what was missed meanwhile.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { CommitListener, CommitSignal } from "../../store/index.js";
import type { CommittedBatch } from "../../store/index.js";
import { checkPrefix, encodeToken } from "./nats-subjects.js";

/** The default subject prefix of commit notices. */
export const DEFAULT_COMMIT_SUBJECT = "runtrail.commit";

/** Past this many runs, a notice names the account alone (every stream of it wakes). */
const MAX_RUNS = 1_000;

/**
 * Publishes a notice per account of `batch` (collectors do, after each commit).
 *
 * @example
 * writer.onCommit((batch) => announceCommit(nc, DEFAULT_COMMIT_SUBJECT, batch));
 */
export function announceCommit(nc: NatsConnection, subject: string, batch: CommittedBatch): void {
  const byAccount = new Map<string, Set<string>>();
  for (const { event } of batch.events) {
    let runs = byAccount.get(event.accountId);
    if (runs === undefined) byAccount.set(event.accountId, (runs = new Set()));
    runs.add(event.runId);
  }
  for (const [a, runs] of byAccount) {
    nc.publish(`${subject}.${encodeToken(a)}`, JSON.stringify(runs.size > MAX_RUNS ? { a } : { a, r: [...runs] }));
  }
}

function parse(data: string): { a: string; r?: string[] } | undefined {
  try {
    const value = JSON.parse(data) as { a?: unknown; r?: unknown };
    if (typeof value.a !== "string") return undefined;
    return Array.isArray(value.r) && value.r.every((r) => typeof r === "string") ? { a: value.a, r: value.r as string[] } : { a: value.a };
  } catch {
    return undefined;
  }
}

/** Options of {@link natsCommitSignal}. */
export interface NatsSignalOptions {
  /** Default `runtrail.commit` (as the collectors' `commitSubject`). */
  readonly subject?: string;
}

/**
 * Wakes `hub`'s streams on the collectors' commit notices.
 *
 * @example
 * const server = await createServer({ store, live: { signals: [(hub) => natsCommitSignal(nc, hub)] } });
 */
export function natsCommitSignal(nc: NatsConnection, hub: CommitListener, options: NatsSignalOptions = {}): CommitSignal {
  const subject = checkPrefix(options.subject ?? DEFAULT_COMMIT_SUBJECT, "commit subject");
  const subscription = nc.subscribe(`${subject}.*`, {
    callback: (error, message) => {
      if (error !== null) return;
      const notice = parse(message.string());
      if (notice !== undefined) hub.notify(new Map([[notice.a, notice.r === undefined ? undefined : new Set(notice.r)]]));
    },
  });
  let stopped = false;
  const watching = (async () => {
    for await (const status of nc.status()) {
      if (stopped) break;
      if (status.type === "reconnect") hub.notifyAll();
    }
  })().catch(() => undefined);
  return {
    close() {
      stopped = true;
      subscription.unsubscribe();
      // The status iterator ends when the connection closes; the server need not wait for that.
      void watching;
      return Promise.resolve();
    },
  };
}
