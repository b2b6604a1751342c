/**
 * The `cli` suite's peer: the same run as `runtrail run bench/peers/cli-chain.ts`, through the
 * API with no display (a bus, a store writer, the SQLite file), in a process of its own started
 * the same way, so both sides pay the same start-up. `node --import tsx cli-api-run.ts DB`.
 */
import { createBus, createControl } from "../../src/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import chain, { STEPS } from "./cli-chain.js";

const store = await openSqliteStore({ path: process.argv[2]! });
const bus = createBus();
const writer = createStoreWriter(bus, store);
const handle = chain.start(0, { bus, control: createControl(), accountId: "default" });
const output = await handle.result;
await writer.close();
await store.close();
if (output !== STEPS) throw new Error(`the chain answered ${output}, not ${STEPS}`);
