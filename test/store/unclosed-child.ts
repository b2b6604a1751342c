/**
 * Opens a SQLite store on a file and writes an event through its write thread. With `close`, it
 * then closes the writer and the store (which must finish, not leave an unsettled await); without,
 * it never closes them, and the process must still exit on its own (an idle thread does not keep
 * it alive).
 *
 * argv: <path> [close]
 */
import { createBus } from "../../src/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

const store = await openSqliteStore({ path: process.argv[2]! });
const bus = createBus();
const writer = createStoreWriter(bus, store, { durability: "sync" });
await writer.bus.emit({ type: "run.started", runId: "unclosed", workflow: { name: "w" } });
process.stdout.write("written\n");
if (process.argv[3] === "close") {
  await writer.close();
  await store.close();
  process.stdout.write("closed\n");
}
