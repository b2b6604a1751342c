// @ts-check
/**
 * The SQLite store's write thread (a worker): it owns the write connection and runs each request
 * of `sqlite-thread-client.ts` in order. Commits take milliseconds of disk work; here they overlap with
 * the caller's thread (the engine, the bus, the server) instead of stalling it. WAL checkpoints
 * run on a thread of their own (`sqlite-checkpoint-thread.js`), so no commit waits for one; if
 * that thread fails, or cannot keep the WAL bounded (a checkpoint that runs beside continuous
 * writes may never catch up, and the WAL then never starts over), this thread checkpoints itself.
 *
 * Requests: `{ id, op: "append", batch }`, `{ id, op: "delete", accountId, before }`, `{ op: "close" }`.
 * Answers: `{ id: 0, result: null }` once the connection is open, then `{ id, result }` or
 * `{ id, error: { name, message, code } }` per request.
 */
import { parentPort, Worker, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { createWriteCore } from "./sqlite-write-core.js";

/** @type {{ path: string, synchronous: "NORMAL" | "FULL", sql: import("./sqlite-write-core.js").WriteSql }} */
const config = workerData;
const port = parentPort;
if (port === null) throw new Error("sqlite-write-thread.js runs as a worker thread");

const db = new Database(config.path, { timeout: 5_000 });
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${config.synchronous}`);
// Checkpoints are the checkpoint thread's (see `afterCommit`), never a commit's.
db.pragma("wal_autocheckpoint = 0");

/** How long after a commit its checkpoint follows; the commits meanwhile share it. */
const CHECKPOINT_DELAY_MS = 200;
/** SQLite's own automatic checkpoint bound, in pages, for when the checkpoint thread is gone. */
const AUTO_CHECKPOINT_PAGES = 1_000;
/** WAL frames past which this thread checkpoints itself, between two commits (so it catches up). */
const WAL_LIMIT_FRAMES = 20_000;

/**
 * The checkpoint thread, started by the first commit (a store opened only to read starts none);
 * `null` once it stopped unasked, and SQLite's own checkpoint is back on.
 * @type {Worker | undefined | null}
 */
let checkpointer;
let walTooLong = false;

function startCheckpointer() {
  const thread = new Worker(new URL("./sqlite-checkpoint-thread.js", import.meta.url), { workerData: { path: config.path, delayMs: CHECKPOINT_DELAY_MS } });
  const gone = () => {
    if (checkpointer !== thread) return;
    checkpointer = null;
    db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  };
  thread.on("error", gone);
  thread.on("exit", gone);
  thread.on(
    "message",
    /** @param {{ log: number }} progress */
    (progress) => {
      if (progress.log > WAL_LIMIT_FRAMES) walTooLong = true;
    },
  );
  return thread;
}

/** After a commit has been answered: its checkpoint, on the checkpoint thread or (rarely) here. */
function afterCommit() {
  if (checkpointer !== null) (checkpointer ??= startCheckpointer()).postMessage(1);
  if (!walTooLong) return;
  walTooLong = false;
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // The commit stands; a disk that fails here fails the next request too, which reports it.
  }
}

/** Closes the connection once the checkpoint thread has closed its own. */
function close() {
  const thread = checkpointer;
  const finish = () => {
    db.close();
    port?.close();
  };
  if (thread === undefined || thread === null) return finish();
  checkpointer = null;
  thread.once("exit", finish);
  thread.postMessage("close");
}

// better-sqlite3's own typings and the store's slice of them differ only in generics.
const core = createWriteCore(/** @type {import("./sqlite-driver.js").SqliteDatabase} */ (/** @type {unknown} */ (db)), config.sql);
port.postMessage({ id: 0, result: null }); // ready: the connection is open

port.on(
  "message",
  /** @param {{ id: number, op: "append", batch: import("./sqlite-write-core.js").WriteBatch } | { id: number, op: "delete", accountId: string, before: number } | { op: "close" }} request */
  (request) => {
    if (request.op === "close") return close();
    try {
      const result = request.op === "append" ? core.append(request.batch) : core.deleteRunsBefore(request.accountId, request.before);
      port.postMessage({ id: request.id, result });
    } catch (error) {
      const failure = /** @type {{ name?: string, message?: string, code?: string }} */ (error);
      port.postMessage({ id: request.id, error: { name: failure.name ?? "Error", message: failure.message ?? String(error), code: failure.code } });
      return;
    }
    afterCommit();
  },
);
