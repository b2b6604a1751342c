/**
 * The commit-signal contract: how whoever streams a store's events (the server's stream hub)
 * learns that events were written, so caught-up streams read again. A signal calls
 * `listener.notify` only once the events it names are readable. A wake-up notice names accounts
 * and runs, never events: a stream always reads after its own position, so a notice that comes
 * twice, late or for nothing costs a read, never a gap or a duplicate. Adapters implement it
 * without knowing the server (`postgresCommitSignal` in `runtrail/postgres`); the server's own
 * signals (this process's writer, polling) live in the server.
 */
import type { CommittedBatch } from "./writer/writer-types.js";

/** Which runs of which accounts have new events; `undefined` runs: any run of the account. */
export type CommitNotice = ReadonlyMap<string, ReadonlySet<string> | undefined>;

/** What a signal wakes: the server's `StreamHub` is one. */
export interface CommitListener {
  /** Wakes the streams of the accounts (and runs) named. */
  notify(notice: CommitNotice): void;
  /** Wakes every stream: after a gap in what the signal could see (a reconnect). */
  notifyAll(): void;
}

/** A running signal; `close` stops it. */
export interface CommitSignal {
  close(): Promise<void>;
}

/**
 * Starts a signal that wakes `listener`; the server's `live.signals` option takes these.
 *
 * @example
 * const every5s: CommitSignalFactory = (hub) => {
 *   const timer = setInterval(() => hub.notifyAll(), 5_000);
 *   return { close: async () => clearInterval(timer) };
 * };
 */
export type CommitSignalFactory = (listener: CommitListener) => CommitSignal | Promise<CommitSignal>;

/** Adds a run of an account to a notice being built. */
export function addRun(notice: Map<string, Set<string>>, accountId: string, runId: string): void {
  let runs = notice.get(accountId);
  if (runs === undefined) notice.set(accountId, (runs = new Set()));
  runs.add(runId);
}

/**
 * The accounts and runs a committed batch touches, added to `into` (a new notice by default).
 *
 * @example
 * writer.onCommit((batch) => hub.notify(commitNotice(batch)));
 */
export function commitNotice(batch: CommittedBatch, into = new Map<string, Set<string>>()): Map<string, Set<string>> {
  let accountId = "";
  let runs: Set<string> | undefined;
  for (const { event } of batch.events) {
    if (runs === undefined || event.accountId !== accountId) {
      accountId = event.accountId;
      runs = into.get(accountId);
      if (runs === undefined) into.set(accountId, (runs = new Set()));
    }
    runs.add(event.runId);
  }
  return into;
}
