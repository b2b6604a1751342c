/**
 * Cross-process wake-ups over PostgreSQL LISTEN/NOTIFY. Every server that writes (has a writer)
 * sends `NOTIFY <channel>, '{"a":account,"r":[runs]}'` after its commits (from `writer.onCommit`,
 * so it names exactly what was committed); every server listens and wakes its streams, except for
 * its own notifications (its own commits woke them already). A notification only wakes streams,
 * which then read the store, so a lost or duplicated notification costs latency, never
 * correctness; after a reconnect every stream is woken, for what was missed while disconnected.
 * Writers that never run a server (a bare collector) send nothing: keep `live.pollIntervalMs` on as the floor.
 * The contract it implements (`CommitSignal`, `CommitListener`) is the store's: no server import.
 */
import { commitNotice, type CommitListener, type CommitSignal } from "../commit-signal.js";
import type { StoreWriter } from "../writer/writer-types.js";

/** The slice of a `pg.Client` used here. */
interface ListenClient {
  connect(): Promise<unknown>;
  query(text: string, values?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
  on(event: "notification", listener: (message: { channel: string; payload?: string; processId: number }) => void): unknown;
  on(event: "error" | "end", listener: (error?: Error) => void): unknown;
}

/** Options of {@link postgresCommitSignal}. */
export interface PostgresSignalOptions {
  readonly connectionString: string;
  /** Default `runtrail_events`. */
  readonly channel?: string;
  /** This process's writer: its commits are announced to the others. */
  readonly writer?: StoreWriter;
}

/** NOTIFY payloads are limited to 8,000 bytes: beyond, the account alone is named (any run). */
const MAX_PAYLOAD = 7_900;

function parse(payload: string | undefined): { a: string; r?: string[] } | undefined {
  try {
    const value = JSON.parse(payload ?? "") as { a?: unknown; r?: unknown };
    if (typeof value.a !== "string") return undefined;
    return Array.isArray(value.r) && value.r.every((r) => typeof r === "string") ? { a: value.a, r: value.r as string[] } : { a: value.a };
  } catch {
    return undefined;
  }
}

/**
 * Listens (and, with `writer`, notifies) on a PostgreSQL channel; wakes `listener` (the server's
 * stream hub) for other processes' commits. A `CommitSignalFactory` once given its options.
 *
 * @example
 * import { postgresCommitSignal } from "runtrail/postgres";
 * const server = await createServer({ store, bus, writer, live: { signals: [(hub) => postgresCommitSignal({ connectionString, writer }, hub)] } });
 */
export async function postgresCommitSignal(options: PostgresSignalOptions, listener: CommitListener): Promise<CommitSignal> {
  const channel = options.channel ?? "runtrail_events";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new RangeError(`invalid channel name "${channel}"`);
  const { default: pg } = (await import("pg")) as unknown as { default: { Client: new (config: { connectionString: string }) => ListenClient } };
  let closed = false;
  let client: ListenClient | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;

  /** The backend of the listening connection, which also sends this process's notifications. */
  let ownPid = -1;

  const open = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: options.connectionString });
    next.on("notification", (message) => {
      if (message.processId === ownPid) return;
      const notice = message.channel === channel ? parse(message.payload) : undefined;
      if (notice !== undefined) listener.notify(new Map([[notice.a, notice.r === undefined ? undefined : new Set(notice.r)]]));
    });
    const lost = (): void => {
      if (client !== next || closed) return;
      client = undefined;
      retry = setTimeout(() => void open().catch(lost), 500);
    };
    next.on("error", lost);
    next.on("end", lost);
    await next.connect();
    const { rows } = (await next.query("SELECT pg_backend_pid() AS pid")) as { rows: { pid: number }[] };
    await next.query(`LISTEN ${channel}`);
    ownPid = rows[0]?.pid ?? -1;
    client = next;
    // Whatever was committed while no connection listened.
    listener.notifyAll();
  };
  await open();

  let stopLocal = (): void => undefined;
  let sending: Promise<void> = Promise.resolve();
  if (options.writer !== undefined) {
    let pending = new Map<string, Set<string>>();
    /** Sends what is pending, one batch of NOTIFYs after another; commits meanwhile join the next. */
    const send = async (): Promise<void> => {
      const batch = pending;
      pending = new Map();
      for (const [accountId, runs] of batch) {
        let payload = JSON.stringify({ a: accountId, r: [...runs] });
        if (payload.length > MAX_PAYLOAD) payload = JSON.stringify({ a: accountId });
        await client?.query("SELECT pg_notify($1, $2)", [channel, payload]).catch(() => undefined);
      }
    };
    stopLocal = options.writer.onCommit((batch) => {
      const first = pending.size === 0;
      commitNotice(batch, pending);
      if (first) sending = sending.then(send);
    });
  }

  return {
    async close() {
      stopLocal();
      await sending;
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
