// @ts-check
/**
 * The SQLite store's write thread (a worker): it owns the write connection and runs each request
 * of `sqlite-writer.ts` in order. Commits, and the WAL checkpoints that some commits run, take
 * milliseconds of disk work; here they overlap with the caller's thread (the engine, the bus, the
 * server) instead of stalling it.
 *
 * Requests: `{ id, op: "append", batch }`, `{ id, op: "delete", accountId, before }`, `{ op: "close" }`.
 * Answers: `{ id: 0, result: null }` once the connection is open, then `{ id, result }` or
 * `{ id, error: { name, message, code } }` per request.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { createWriteCore } from "./sqlite-write-core.js";

/** @type {{ path: string, synchronous: "NORMAL" | "FULL", sql: import("./sqlite-write-core.js").WriteSql }} */
const config = workerData;
const port = parentPort;
if (port === null) throw new Error("sqlite-write-thread.js runs as a worker thread");

const db = new Database(config.path, { timeout: 5_000 });
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${config.synchronous}`);
// better-sqlite3's own typings and the store's slice of them differ only in generics.
const core = createWriteCore(/** @type {import("./sqlite-driver.js").SqliteDatabase} */ (/** @type {unknown} */ (db)), config.sql);
port.postMessage({ id: 0, result: null }); // ready: the connection is open

port.on(
  "message",
  /** @param {{ id: number, op: "append", batch: import("./sqlite-write-core.js").WriteBatch } | { id: number, op: "delete", accountId: string, before: number } | { op: "close" }} request */
  (request) => {
    if (request.op === "close") {
      db.close();
      port.close();
      return;
    }
    try {
      const result = request.op === "append" ? core.append(request.batch) : core.deleteRunsBefore(request.accountId, request.before);
      port.postMessage({ id: request.id, result });
    } catch (error) {
      const failure = /** @type {{ name?: string, message?: string, code?: string }} */ (error);
      port.postMessage({ id: request.id, error: { name: failure.name ?? "Error", message: failure.message ?? String(error), code: failure.code } });
    }
  },
);
