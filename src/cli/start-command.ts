/**
 * `runtrail start WORKFLOW`: asks the deployment's workers (over the NATS run queue) to run a
 * workflow, prints the run's id at once, and with `--follow` shows its trail live from the events
 * stream until it ends (exit 0 if it completed, 2 if it failed or was cancelled).
 */
import { Command } from "commander";
import type { RuntrailEvent } from "../events/index.js";
import { CliError, EXIT_RUN_FAILED } from "./cli-errors.js";
import { parseInput } from "./cli-input.js";
import { colorsOn, parseProgressMode, resolveMode, type ProgressMode } from "./live/progress-mode.js";
import { connectNats, natsOptions, type NatsFlags } from "./nats-flags.js";
import { DEFAULT_ACCOUNT } from "./store-open.js";

interface StartFlags extends NatsFlags {
  readonly input?: string;
  readonly account: string;
  readonly follow?: boolean;
  readonly progress: ProgressMode;
}

/**
 * The `start` command.
 *
 * @example
 * await startCommand().parseAsync(["etl", "--input", '{"day":"2026-12-03"}', "--follow"], { from: "user" });
 */
export function startCommand(): Command {
  return natsOptions(new Command("start").description("have a worker run a workflow (over NATS); prints the run id").argument("<workflow>", "the workflow's name"))
    .option("--input <json>", "the run's input: JSON, or @file.json")
    .option("--account <name>", "the account (tenant) the run belongs to", DEFAULT_ACCOUNT)
    .option("--follow", "show the run live until it ends")
    .option("--progress <mode>", "with --follow: auto | tty | plain | json | quiet", parseProgressMode, "auto")
    .addHelpText("after", "\nExamples:\n  $ runtrail start etl --input '{\"day\":\"2026-12-03\"}'\n  $ runtrail start etl --input @day.json --follow")
    .action(start);
}

async function start(workflow: string, flags: StartFlags): Promise<void> {
  const input = parseInput(flags.input);
  const [{ dispatchNatsRun, ensureNatsRunQueue, subscribeNats }, { isTerminalRunEvent }, { createDisplay }] = await Promise.all([
    import("../bridges/nats/index.js"),
    import("../events/index.js"),
    import("./live/display.js"),
  ]);
  const nc = await connectNats(flags.nats);
  try {
    await ensureNatsRunQueue(nc, { stream: flags.runQueue, prefix: flags.runPrefix });
    const runId = globalThis.crypto.randomUUID();
    // Subscribed before the request goes out, so not one event of the run is missed.
    const events = flags.follow === true ? await subscribeNats(nc, { runId }, { stream: flags.stream, prefix: flags.prefix }) : undefined;
    await dispatchNatsRun(nc, workflow, input, { stream: flags.runQueue, prefix: flags.runPrefix, accountId: flags.account, runId });
    if (events === undefined) {
      console.log(runId);
      return;
    }
    process.stderr.write(`[runtrail] run ${runId} of ${workflow} requested; following it\n`);
    const out = process.stdout;
    const display = createDisplay(resolveMode(flags.progress, { json: false, isTTY: out.isTTY, env: process.env }), { out, colors: colorsOn(process.env), runIds: false });
    let end: RuntrailEvent | undefined;
    try {
      for await (const event of events) {
        display.event(event);
        display.stored(JSON.stringify(event));
        if (isTerminalRunEvent(event.type)) {
          end = event;
          break;
        }
      }
    } finally {
      display.close();
      await events.close();
    }
    if (end !== undefined && end.type !== "run.completed") throw new CliError("", EXIT_RUN_FAILED);
  } finally {
    await nc.close();
  }
}
