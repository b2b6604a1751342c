/**
 * `runtrail runs`: the account's runs, newest first, from the store. A suspended run's row says
 * what it waits for (the signal, the step, the deadline) or who paused it and why.
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
    .addHelpText("after", "\nExamples:\n  $ runtrail runs\n  $ runtrail runs --status suspended\n  $ runtrail runs --status failed,cancelled --workflow order-pipeline --limit 5\n  $ runtrail runs --json | jq -r .runId")
    .action(list);
}

const clock = (ms: number): string => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

/**
 * What a suspended run waits for, from its row: `waiting for "approval" (step ask, until …)`, or
 * `paused by ops: quota`. Empty for other runs.
 */
export function suspensionNote(run: RunRecord): string {
  const s = run.suspension;
  if (run.status !== "suspended" || s === undefined) return "";
  if (s.waitingFor !== undefined) {
    const where = [s.stepId === undefined ? undefined : `step ${s.stepId}`, s.deadline === undefined ? undefined : `until ${clock(s.deadline)} UTC`].filter((part) => part !== undefined);
    return `waiting for "${s.waitingFor}"${where.length === 0 ? "" : ` (${where.join(", ")})`}`;
  }
  return `paused${s.by === undefined ? "" : ` by ${s.by}`}${s.reason === undefined ? "" : `: ${s.reason}`}`;
}

function row(run: RunRecord): string {
  const started = clock(run.startedAt);
  const took = run.durationMs === undefined ? "-" : formatMs(run.durationMs);
  const workflow = `${run.workflow.name}${run.workflow.version === undefined ? "" : `@${run.workflow.version}`}`;
  const note = suspensionNote(run);
  const events = `${run.eventCount} events`;
  return [run.runId.padEnd(36), workflow.padEnd(24), run.status.padEnd(9), started, took.padStart(8), note === "" ? events : `${events.padEnd(12)}  ${note}`].join("  ");
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
