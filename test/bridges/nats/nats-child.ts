/**
 * A worker or a collector process for the bridge tests.
 *
 * worker <stream> <prefix> <account> <runs> <events>: publishes `runs` runs of `events` events each
 *   (paced, so it is mid-stream for a while), prints `done`, exits.
 * collector <stream> <prefix> <durable> <commitSubject> <sqlite|postgres> <path|schema>: collects
 *   into the store and prints `committed <total>` after each commit, until it is killed.
 */
import { createBus, type EventInput } from "../../../src/index.js";
import { createNatsPublisher, startNatsCollector } from "../../../src/bridges/nats/index.js";
import { openPostgresStore } from "../../../src/store/postgres/index.js";
import { openSqliteStore } from "../../../src/store/sqlite/index.js";
import { natsConnect, sleep } from "./nats-fixtures.js";
import { PG_URL } from "../../store/store-fixtures.js";

const [role, stream, prefix, ...rest] = process.argv.slice(2) as [string, string, string, ...string[]];
const nc = await natsConnect();

if (role === "worker") {
  const [accountId, runs, events] = [rest[0]!, Number(rest[1]), Number(rest[2])];
  const bus = createBus();
  const publisher = createNatsPublisher(bus, nc, { prefix });
  const workflow = { name: "multi proc" };
  for (let i = 0; i < events; i++) {
    for (let r = 0; r < runs; r++) {
      const runId = `${accountId}.run ${r}`;
      const input: EventInput =
        i === 0
          ? { type: "run.started", runId, accountId, workflow }
          : i === events - 1
            ? { type: "run.completed", runId, accountId, workflow, durationMs: i }
            : { type: "step.completed", runId, accountId, workflow, stepId: `s${i % 7}`, durationMs: 1, output: { i } };
      const pressure = bus.emit(input);
      if (pressure !== undefined) await pressure;
    }
    if (i % 20 === 0) await sleep(2);
  }
  await publisher.close();
  await nc.close();
  process.stdout.write("done\n");
} else {
  const [durable, commitSubject, kind, where] = rest as [string, string, string, string];
  const store = kind === "sqlite" ? await openSqliteStore({ path: where }) : await openPostgresStore({ connectionString: PG_URL, schema: where });
  const collector = await startNatsCollector(nc, store, { stream, prefix, durable, commitSubject, ackWaitMs: 1_000, writer: { batchSize: 100, flushIntervalMs: 20 } });
  let total = 0;
  collector.writer.onCommit((batch) => {
    total += batch.events.length;
    process.stdout.write(`committed ${total}\n`);
  });
  process.stdout.write("ready\n");
}
