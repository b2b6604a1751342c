/**
 * `runtrail worker --workflows DIR`: runs what anyone asks for (`runtrail start`, or
 * `dispatchNatsRun` in code) and publishes every run's trail to NATS JetStream, where collectors
 * store it and servers stream it. Each workflow of the folder takes its start requests from its
 * own durable consumer of the run queue, shared by every worker that registers it. SIGINT or
 * SIGTERM stops taking requests, waits up to `--grace` seconds for the runs in flight and for
 * JetStream to acknowledge their events, then exits (0 when nothing was cut short).
 */
import { Command } from "commander";
import { messageOf } from "./cli-errors.js";
import { integerIn } from "./cli-input.js";
import { connectNats, natsOptions, type NatsFlags } from "./nats-flags.js";

interface WorkerFlags extends NatsFlags {
  readonly workflows: string;
  readonly concurrency: number;
  readonly grace: number;
}

/**
 * The `worker` command.
 *
 * @example
 * await workerCommand().parseAsync(["--workflows", "./workflows", "--concurrency", "8"], { from: "user" });
 */
export function workerCommand(): Command {
  return natsOptions(new Command("worker").description("run the workflows of a folder for whoever asks, publishing their trails to NATS JetStream"))
    .requiredOption("--workflows <dir>", "the workflows this worker runs (the same files as serve --workflows)")
    .option("--concurrency <n>", "runs executing at once", integerIn(1, 10_000, "--concurrency"), 4)
    .option("--grace <s>", "on SIGTERM, how long runs in flight may take to finish", integerIn(0, 86_400, "--grace"), 30)
    .addHelpText("after", "\nExamples:\n  $ runtrail worker --workflows ./workflows\n  $ runtrail worker --workflows ./workflows --nats nats.internal:4222 --concurrency 16")
    .action(work);
}

async function work(flags: WorkerFlags): Promise<void> {
  const [{ loadWorkflowDir }, { createBus }, { createNatsPublisher, ensureNatsStream, startNatsWorker }] = await Promise.all([
    import("./workflow-dir.js"),
    import("../bus/index.js"),
    import("../bridges/nats/index.js"),
  ]);
  const found = await loadWorkflowDir(flags.workflows);
  const nc = await connectNats(flags.nats);
  await ensureNatsStream(nc, { name: flags.stream, prefix: flags.prefix });
  const bus = createBus();
  const publisher = createNatsPublisher(bus, nc, { prefix: flags.prefix });
  const worker = await startNatsWorker(
    nc,
    bus,
    found.map((f) => f.workflow),
    {
      stream: flags.runQueue,
      prefix: flags.runPrefix,
      concurrency: flags.concurrency,
      onRunEnded: (runId, error) => console.log(`[runtrail] run ${runId} ${error === undefined ? "completed" : `ended: ${messageOf(error)}`}`),
    },
  );
  for (const { workflow, file } of found) console.log(`[runtrail] worker takes runs of ${workflow.name} (${file}) from ${flags.runPrefix}.* of ${flags.runQueue}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  console.log(`[runtrail] stopping: no new runs; waiting up to ${flags.grace} s for ${worker.running} in flight`);
  const grace = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), flags.grace * 1_000).unref());
  const drained = await Promise.race([worker.close().then(() => publisher.close()).then(() => "done" as const), grace]);
  if (drained === "late") {
    console.error(`[runtrail] ${worker.running} runs still in flight after ${flags.grace} s; exiting (their trails end where they stopped)`);
    process.exit(1);
  }
  await nc.close();
}
