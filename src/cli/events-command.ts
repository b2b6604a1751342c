/**
 * `runtrail events RUN`: a stored run's events after a seq, optionally of some types, one line
 * each (or NDJSON, exactly as stored).
 */
import { Command } from "commander";
import { integerIn, typeList } from "./cli-input.js";
import { eventLine } from "./live/event-line.js";
import { openStore, storeOptions, type StoreFlags } from "./store-open.js";

interface EventsFlags extends StoreFlags {
  readonly after: number;
  readonly types?: string[];
  readonly json?: boolean;
}

/**
 * The `events` command.
 *
 * @example
 * await eventsCommand().parseAsync(["run-1", "--types", "step.*"], { from: "user" });
 */
export function eventsCommand(): Command {
  return storeOptions(new Command("events").description("print a stored run's events").argument("<runId>", "the run"))
    .option("--after <seq>", "only events after this seq", integerIn(0, Number.MAX_SAFE_INTEGER, "--after"), 0)
    .option("--types <globs>", "only these types: exact or globs, comma-separated (step.*,run.failed)", typeList)
    .option("--json", "one stored event per line (NDJSON), as the API returns it")
    .addHelpText("after", "\nExamples:\n  $ runtrail events 0b7c…\n  $ runtrail events 0b7c… --after 10 --types 'step.*,tool.*'\n  $ runtrail events 0b7c… --json | jq .type")
    .action(print);
}

async function print(runId: string, flags: EventsFlags): Promise<void> {
  const [{ compileFilter }, { iterateRun }, { requireRun }] = await Promise.all([import("../bus/index.js"), import("../store/index.js"), import("./run-lookup.js")]);
  const store = await openStore(flags, { mustExist: true });
  try {
    await requireRun(store, flags.account, runId, flags);
    const matches = compileFilter(flags.types === undefined ? undefined : { type: flags.types as never });
    for await (const { event } of iterateRun(store, flags.account, runId, { after: flags.after })) {
      if (matches !== undefined && !matches(event)) continue;
      process.stdout.write(flags.json === true ? `${JSON.stringify(event)}\n` : `${eventLine(event)}\n`);
    }
  } finally {
    await store.close();
  }
}
