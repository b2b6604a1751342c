/**
 * `runtrail runs`: the account's runs, newest first, from the store.
 */
import { Command, InvalidArgumentError } from "commander";
import type { RunRecord, RunStatus } from "../store/index.js";
import { integerIn } from "./cli-input.js";
import { formatMs } from "./live/view-render.js";
import { openStore, storeOptions, type StoreFlags } from "./store-open.js";

const STATUSES: readonly RunStatus[] = ["running", "suspended", "completed", "failed", "cancelled"];

interface RunsFlags extends StoreFlags {
  readonly status?: RunStatus[];
  readonly workflow?: string;
  readonly limit: number;
  readonly json?: boolean;
}

function statusList(value: string, previous: RunStatus[] = []): RunStatus[] {
  const items = value.split(",").map((s) => s.trim());
  for (const item of items) if (!(STATUSES as readonly string[]).includes(item)) throw new InvalidArgumentError(`"${item}" is not a run status (${STATUSES.join(", ")}).`);
  return [...previous, ...(items as RunStatus[])];
}

/**
 * The `runs` command.
 *
 * @example
 * await runsCommand().parseAsync(["--status", "failed", "--limit", "5"], { from: "user" });
 */
export function runsCommand(): Command {
  return storeOptions(new Command("runs").description("list runs, newest first"))
    .option("--status <status>", `only runs in these statuses (${STATUSES.join(", ")}; comma-separated or repeated)`, statusList)
    .option("--workflow <name>", "only runs of this workflow")
    .option("--limit <n>", "at most this many runs", integerIn(1, 1_000, "the limit"), 20)
    .option("--json", "one run record per line (NDJSON), as the API returns it")
    .addHelpText("after", "\nExamples:\n  $ runtrail runs\n  $ runtrail runs --status failed,cancelled --workflow order-pipeline --limit 5\n  $ runtrail runs --json | jq -r .runId")
    .action(list);
}

function row(run: RunRecord): string {
  const started = new Date(run.startedAt).toISOString().replace("T", " ").slice(0, 19);
  const took = run.durationMs === undefined ? "-" : formatMs(run.durationMs);
  const workflow = `${run.workflow.name}${run.workflow.version === undefined ? "" : `@${run.workflow.version}`}`;
  return [run.runId.padEnd(36), workflow.padEnd(24), run.status.padEnd(9), started, took.padStart(8), `${run.eventCount} events`].join("  ");
}

async function list(flags: RunsFlags): Promise<void> {
  const store = await openStore(flags, { mustExist: true });
  try {
    const page = await store.listRuns(flags.account, {
      limit: flags.limit,
      ...(flags.status === undefined ? {} : { status: flags.status }),
      ...(flags.workflow === undefined ? {} : { workflow: flags.workflow }),
    });
    if (flags.json === true) {
      for (const run of page.items) process.stdout.write(`${JSON.stringify(run)}\n`);
      return;
    }
    if (page.items.length === 0) {
      process.stdout.write(`no runs in account ${flags.account}${flags.status === undefined && flags.workflow === undefined ? "" : " matching the filters"}\n`);
      return;
    }
    process.stdout.write(`${["run".padEnd(36), "workflow".padEnd(24), "status".padEnd(9), "started (UTC)".padEnd(19), "took".padStart(8), "events"].join("  ")}\n`);
    for (const run of page.items) process.stdout.write(`${row(run)}\n`);
    if (page.next !== undefined) process.stdout.write(`… more: raise --limit (${flags.limit} shown)\n`);
  } finally {
    await store.close();
  }
}
