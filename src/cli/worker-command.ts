/**
 * `runtrail worker --workflows DIR`: runs what anyone asks for (`runtrail start`, or
 * `dispatchNatsRun` in code) and publishes every run's trail to NATS JetStream, where collectors
 * store it and servers stream it. Each workflow of the folder takes its start requests from its
 * own durable consumer of the run queue, shared by every worker that registers it. SIGINT or
 * SIGTERM stops taking requests, waits up to `--grace` seconds for the runs in flight and for
 * JetStream to acknowledge their events, then exits (0 when nothing was cut short). A run that
 * waits for a signal (`ctx.waitFor`) does not hold the worker: its state is in its trail.
 *
 * With `--db` or `--postgres` (the store the collectors write), the worker also takes signal
 * requests for suspended runs it does not hold (`serve --nats` queues them): it reads the run's
 * trail from that store (it never writes to it), resumes the run and delivers the signal.
 */
import { Command } from "commander";
import { messageOf } from "./cli-errors.js";
import { integerIn } from "./cli-input.js";
import { connectNats, natsOptions, type NatsFlags } from "./nats-flags.js";
import { openStore } from "./store-open.js";

interface WorkerFlags extends NatsFlags {
  readonly workflows: string;
  /** The store trails are read from, to resume suspended runs (SQLite file). */
  readonly db?: string;
  readonly postgres?: string;
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
    .option("--db <path>", "SQLite store the collectors write: suspended runs are resumed from their trails there (read only)")
    .option("--postgres <url>", "PostgreSQL store the collectors write (instead of --db): suspended runs are resumed from their trails there (read only)")
    .addHelpText(
      "after",
      "\nExamples:\n  $ runtrail worker --workflows ./workflows\n  $ runtrail worker --workflows ./workflows --nats nats.internal:4222 --concurrency 16\n  $ runtrail worker --workflows ./workflows --postgres postgres://db/runtrail   # also resumes suspended runs on a signal",
    )
    .action(work);
}

async function work(flags: WorkerFlags): Promise<void> {
  const [{ loadWorkflowDir }, { createBus }, { createNatsPublisher, ensureNatsStream, startNatsWorker }] = await Promise.all([
    import("./workflow-dir.js"),
    import("../bus/index.js"),
    import("../bridges/nats/index.js"),
  ]);
  const found = await loadWorkflowDir(flags.workflows);
  // Only read from (readRun): the collectors are the store's writers.
  const trails = flags.db === undefined && flags.postgres === undefined ? undefined : await openStore({ db: flags.db ?? "", ...(flags.postgres === undefined ? {} : { postgres: flags.postgres }) }, { mustExist: true });
  const nc = await connectNats(flags.nats).catch(async (error: unknown) => {
    await trails?.close();
    throw error;
  });
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
      onSignal: (runId, signal, resumed) => console.log(`[runtrail] signal "${signal}" delivered to run ${runId}${resumed ? " (resumed here from its trail)" : ""}`),
      ...(trails === undefined ? {} : { trails }),
    },
  );
  for (const { workflow, file } of found) console.log(`[runtrail] worker takes runs of ${workflow.name} (${file}) from ${flags.runPrefix}.* of ${flags.runQueue}`);
  if (trails !== undefined) console.log(`[runtrail] worker resumes suspended runs from the trails in ${flags.postgres === undefined ? flags.db : "PostgreSQL"} when their signal arrives`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  console.log(`[runtrail] stopping: no new runs; waiting up to ${flags.grace} s for ${worker.running} in flight (${worker.waiting} waiting for a signal are left to their trails)`);
  const grace = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), flags.grace * 1_000).unref());
  const drained = await Promise.race([worker.close().then(() => publisher.close()).then(() => "done" as const), grace]);
  if (drained === "late") {
    console.error(`[runtrail] ${worker.running} runs still in flight after ${flags.grace} s; exiting (their trails end where they stopped)`);
    process.exit(1);
  }
  await trails?.close();
  await nc.close();
  // A run left waiting for a signal may hold its wait's timer: the worker does not stay for it (a signal resumes the run elsewhere).
  process.exit(0);
}
