/**
 * `runtrail stats WORKFLOW`: per step, how often it completed, how often it failed, its average
 * and p95 duration, from the store's analytics.
 */
import { Command } from "commander";
import { formatMs } from "./live/view-render.js";
import { openStore, storeOptions, type StoreFlags } from "./store-open.js";

interface StatsFlags extends StoreFlags {
  readonly json?: boolean;
}

/** One step's figures. */
export interface StepStats {
  readonly stepId: string;
  readonly count: number;
  readonly failures: number;
  readonly runsFailed: number;
  readonly avgMs: number | null;
  readonly p95Ms: number | null;
}

/**
 * The `stats` command.
 *
 * @example
 * await statsCommand().parseAsync(["order-pipeline"], { from: "user" });
 */
export function statsCommand(): Command {
  return storeOptions(new Command("stats").description("per-step counts, failures and durations of a workflow").argument("<workflow>", "the workflow's name"))
    .option("--json", "one line per step (NDJSON)")
    .addHelpText("after", "\nExamples:\n  $ runtrail stats order-pipeline\n  $ runtrail stats order-pipeline --json | jq 'select(.failures > 0)'")
    .action(stats);
}

async function stats(workflow: string, flags: StatsFlags): Promise<void> {
  const store = await openStore(flags, { mustExist: true });
  let rows: StepStats[];
  try {
    const [durations, failures] = await Promise.all([store.stepDurations(flags.account, { workflow }), store.stepFailures(flags.account, { workflow })]);
    const ids = [...new Set([...durations.map((d) => d.stepId), ...failures.map((f) => f.stepId)])];
    rows = ids.map((stepId) => {
      const d = durations.find((x) => x.stepId === stepId);
      const f = failures.find((x) => x.stepId === stepId);
      return { stepId, count: d?.count ?? 0, failures: f?.failures ?? 0, runsFailed: f?.runsFailed ?? 0, avgMs: d?.avgMs ?? null, p95Ms: d?.p95Ms ?? null };
    });
  } finally {
    await store.close();
  }
  if (flags.json === true) {
    for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write(`no steps of workflow "${workflow}" in account ${flags.account}\n`);
    return;
  }
  const width = Math.max(4, ...rows.map((r) => r.stepId.length));
  const ms = (v: number | null): string => (v === null ? "-" : formatMs(v));
  process.stdout.write(`${"step".padEnd(width)}  ${"completed".padStart(9)}  ${"failures".padStart(8)}  ${"avg".padStart(8)}  ${"p95".padStart(8)}\n`);
  for (const r of rows) process.stdout.write(`${r.stepId.padEnd(width)}  ${String(r.count).padStart(9)}  ${String(r.failures).padStart(8)}  ${ms(r.avgMs).padStart(8)}  ${ms(r.p95Ms).padStart(8)}\n`);
}
