// @ts-check
/**
 * The SQLite store's checkpoint thread, started by the write thread (`sqlite-write-thread.js`)
 * with a connection of its own. It copies the WAL back into the database file (a PASSIVE
 * checkpoint, which never blocks the writer or the readers), so that this disk work, with its
 * fsyncs, is not done by the write thread between two commits. Left to SQLite's automatic
 * checkpoint, the commit that crosses the WAL's bound runs the checkpoint before it answers:
 * measured on this project's machines, commits then waited 100 to 450 ms about once a second.
 *
 * Messages in: any value after a commit (a checkpoint follows within `delayMs`, one for however
 * many commits came meanwhile), or `"close"`. Messages out, after each checkpoint: `{ log }`, the
 * WAL's frames (the write thread checkpoints itself if they pile up).
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

/** @type {{ path: string, delayMs: number }} */
const config = workerData;
const port = parentPort;
if (port === null) throw new Error("sqlite-checkpoint-thread.js runs as a worker thread");

const db = new Database(config.path);
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;

function checkpoint() {
  timer = undefined;
  const [result] = /** @type {{ log: number }[]} */ (db.pragma("wal_checkpoint(PASSIVE)"));
  port?.postMessage({ log: result?.log ?? 0 });
}

port.on("message", (message) => {
  if (message === "close") {
    if (timer !== undefined) clearTimeout(timer);
    db.close();
    port.close();
    return;
  }
  timer ??= setTimeout(checkpoint, config.delayMs);
});
