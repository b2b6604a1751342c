/**
 * `runtrail collect`: stores what workers publish. A durable JetStream consumer shared by every
 * collector of the deployment, written through a store writer, each message acknowledged once its
 * event is committed (so a collector killed at any point loses nothing and stores nothing twice).
 * SIGINT or SIGTERM stops taking messages, commits what it holds, then exits 0.
 */
import { Command } from "commander";
import { integerIn } from "./cli-input.js";
import { connectNats, natsOptions, type NatsFlags } from "./nats-flags.js";
import { openStore, storeOptions, type StoreFlags } from "./store-open.js";

interface CollectFlags extends StoreFlags, NatsFlags {
  readonly durable: string;
  readonly every: number;
}

/**
 * The `collect` command.
 *
 * @example
 * await collectCommand().parseAsync(["--nats", "127.0.0.1:4222", "--postgres", "postgres://127.0.0.1/test"], { from: "user" });
 */
export function collectCommand(): Command {
  return natsOptions(storeOptions(new Command("collect").description("store the trails workers publish to NATS JetStream")))
    .option("--durable <name>", "the JetStream consumer collectors share", "runtrail-collector")
    .option("--every <s>", "print what was stored every this many seconds (0: never)", integerIn(0, 86_400, "--every"), 10)
    .addHelpText("after", "\nExamples:\n  $ runtrail collect --postgres postgres://localhost/runtrail\n  $ runtrail collect --nats nats.internal:4222 --db ./trail.db --every 0")
    .action(collect);
}

async function collect(flags: CollectFlags): Promise<void> {
  const { ensureNatsStream, startNatsCollector } = await import("../bridges/nats/index.js");
  const nc = await connectNats(flags.nats);
  const store = await openStore(flags);
  await ensureNatsStream(nc, { name: flags.stream, prefix: flags.prefix });
  const collector = await startNatsCollector(nc, store, { stream: flags.stream, prefix: flags.prefix, durable: flags.durable, commitSubject: flags.commitSubject });
  const where = flags.postgres === undefined ? flags.db : "PostgreSQL";
  console.log(`[runtrail] collecting ${flags.prefix}.> of stream ${flags.stream} (consumer ${flags.durable}) into ${where}`);
  const report = (): void => {
    const { stored, duplicates, gaps, invalid } = collector.stats();
    console.log(`[runtrail] stored ${stored} events (${duplicates} duplicates acked, ${gaps} held for a gap, ${invalid} invalid)`);
  };
  const timer = flags.every === 0 ? undefined : setInterval(report, flags.every * 1_000);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  clearInterval(timer);
  await collector.close();
  report();
  await store.close();
  await nc.close();
}
