/**
 * The SQLite store's client of its write thread: where its writes run. A file database writes on
 * a worker thread of its own (`sqlite-write-thread.js`): better-sqlite3 is synchronous, so a commit on the caller's thread
 * stalls the engine, the bus and the server for as long as the disk takes, and a WAL checkpoint
 * can take many milliseconds (that thread leaves checkpoints to one more thread of its own). On
 * the write thread, preparing the next batch overlaps with committing this one. An in-memory or
 * caller-owned database writes on the caller's thread.
 * Both run the same transactions (`sqlite-write-core.js`).
 */
import { Worker } from "node:worker_threads";
import type { AppendBatch, AppendResult, RetentionResult } from "../store-types.js";
import type { SqliteDatabase } from "./sqlite-driver.js";
import { toWriteBatch, WRITE_SQL } from "./sqlite-queries.js";
import { createWriteCore, type WriteBatch, type WriteSql } from "./sqlite-write-core.js";

/** The store's write side. */
export interface SqliteWriter {
  append(batch: AppendBatch): Promise<AppendResult>;
  deleteRunsBefore(accountId: string, before: number): Promise<RetentionResult>;
  close(): Promise<void>;
}

/** better-sqlite3 is synchronous and the store's interface is not: runs `fn`, its throw a rejection. */
export function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/** Writes on the caller's thread, through the store's own connection. */
export function inThreadWriter(db: SqliteDatabase): SqliteWriter {
  const core = createWriteCore(db, WRITE_SQL);
  return {
    append: (batch) => settle(() => core.append(toWriteBatch(batch))),
    deleteRunsBefore: (accountId, before) => settle(() => core.deleteRunsBefore(accountId, before)),
    close: () => Promise.resolve(),
  };
}

/** What the write thread is started with. */
interface ThreadConfig {
  readonly path: string;
  readonly synchronous: "NORMAL" | "FULL";
  readonly sql: WriteSql;
}

type Request = { op: "append"; batch: WriteBatch } | { op: "delete"; accountId: string; before: number };
type Answer = { id: number; result: unknown } | { id: number; error: { name: string; message: string; code?: string } };

/** The id the thread's first answer (its connection is open) carries; requests count from 1. */
const READY = 0;

interface Waiting {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** An error of the write thread, rebuilt on this side with its name and SQLite code. */
class SqliteWriteError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

class ThreadWriter implements SqliteWriter {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed: Promise<void> | undefined;

  constructor(private readonly config: ThreadConfig) {}

  /**
   * Starts the thread and resolves once its connection is open: starting it takes a good
   * fraction of a second (loading the driver, opening the file), which must not fall on the first
   * events written, and a database the thread cannot open must fail the store's open. The thread's
   * `ready` answers request 0, so a thread that dies while starting rejects it like any request.
   */
  start(): Promise<void> {
    const worker = (this.worker ??= this.spawn());
    return new Promise((resolve, reject) => {
      this.waiting.set(READY, { resolve: () => resolve(), reject });
      worker.ref();
    });
  }

  append(batch: AppendBatch): Promise<AppendResult> {
    return this.request({ op: "append", batch: toWriteBatch(batch) }) as Promise<AppendResult>;
  }

  deleteRunsBefore(accountId: string, before: number): Promise<RetentionResult> {
    return this.request({ op: "delete", accountId, before }) as Promise<RetentionResult>;
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      const worker = this.worker;
      if (worker === undefined) return resolve();
      // The thread closes its connection (a clean WAL checkpoint) and then exits.
      worker.once("exit", () => resolve());
      worker.ref();
      worker.postMessage({ op: "close" });
    });
    return this.closed;
  }

  private request(request: Request): Promise<unknown> {
    if (this.closed !== undefined) return Promise.reject(new Error("the SQLite store is closed"));
    // Started on first use, and again after a crash of the thread (the writer retries the batch).
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // A thread with nothing to do must not keep the process alive; one with work must.
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ ...request, id });
    });
  }

  private spawn(): Worker {
    const worker = new Worker(new URL("./sqlite-write-thread.js", import.meta.url), { workerData: this.config });
    worker.unref();
    worker.on("message", (answer: Answer) => {
      const waiting = this.waiting.get(answer.id);
      if (waiting === undefined) return;
      this.waiting.delete(answer.id);
      if (this.waiting.size === 0) worker.unref();
      if ("error" in answer) waiting.reject(new SqliteWriteError(answer.error.name, answer.error.message, answer.error.code));
      else waiting.resolve(answer.result);
    });
    worker.on("error", (error) => this.fail(worker, error));
    worker.on("exit", (code) => this.fail(worker, new Error(`the SQLite write thread exited (code ${code})`)));
    return worker;
  }

  private fail(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}

/**
 * Writes on a worker thread with its own connection to the database file at `path`.
 *
 * @example
 * const writer = await threadWriter("./runtrail.db", "NORMAL");
 * await writer.append(batch);
 */
export async function threadWriter(path: string, synchronous: "NORMAL" | "FULL"): Promise<SqliteWriter> {
  const writer = new ThreadWriter({ path, synchronous, sql: WRITE_SQL });
  try {
    await writer.start();
  } catch (error) {
    await writer.close();
    throw error;
  }
  return writer;
}
