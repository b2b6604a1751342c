/**
 * `runtrail run FILE`: runs a workflow, stores its trail and shows it live; exits 0 when the run
 * completed, 2 when it failed or was cancelled (saying which step failed and why), 1 when it
 * could not start, 3 when it is suspended with nothing left to do (waiting for a signal, or
 * paused): its trail is stored and it needs no process, so this one lets go of it and says how a
 * server resumes it. Ctrl-C cancels the run (its trail says so); a second Ctrl-C exits at once.
 */
import { Command } from "commander";
import pc from "picocolors";
import { CliError, EXIT_RUN_FAILED, EXIT_RUN_SUSPENDED } from "./cli-errors.js";
import { parseInput } from "./cli-input.js";
import { createDisplay } from "./live/display.js";
import { colorsOn, parseProgressMode, resolveMode, type ProgressMode } from "./live/progress-mode.js";
import { EMPTY_VIEW } from "./live/view-state.js";
import { renderLine } from "./live/view-render.js";
import { whenIdleSuspended } from "./run-idle.js";
import { openStore, storeOptions, type StoreFlags } from "./store-open.js";

interface RunFlags extends StoreFlags {
  readonly input?: string;
  readonly handlers?: string;
  readonly workflow?: string;
  readonly progress: ProgressMode;
  readonly json?: boolean;
}

/**
 * The `run` command.
 *
 * @example
 * await runCommand().parseAsync(["examples/order-spec.yaml", "--progress", "plain"], { from: "user" });
 */
export function runCommand(): Command {
  return storeOptions(
    new Command("run")
      .description("run a workflow file, store its trail and show it live")
      .argument("<file>", "a workflow: .yaml/.yml/.json spec, or a .ts/.js module that default-exports one")
      .option("--input <json>", "the run's input: JSON text, or @file.json")
      .option("--handlers <module>", "the module with a spec's handlers (default: the spec's `handlers:` field, else FILE.handlers.ts beside it)")
      .option("--workflow <name>", "which workflow, when the module exports several"),
  )
    .option("--progress <mode>", "auto | tty | plain | json | quiet (auto: tty in a terminal outside CI, else plain)", parseProgressMode, "auto")
    .option("--json", "NDJSON: each stored event as one line, as the API returns it (same as --progress json)")
    .addHelpText("after", "\nExamples:\n  $ runtrail run examples/order-spec.yaml\n  $ runtrail run examples/approval-flow.ts --input @expense.json --progress plain\n  $ runtrail run flow.yaml --json | jq -c 'select(.type == \"step.failed\")'")
    .action(run);
}

async function run(file: string, flags: RunFlags): Promise<void> {
  // Loaded here, not at the top: `--help` and a bad flag answer without loading the engine.
  const [{ createBus }, { createControl }, { createStoreWriter, createRunLease }, { loadWorkflowFile, pickWorkflow }] = await Promise.all([
    import("../bus/index.js"),
    import("../control/index.js"),
    import("../store/index.js"),
    import("./workflow-file.js"),
  ]);
  const input = parseInput(flags.input);
  const loaded = await loadWorkflowFile(file, flags.handlers === undefined ? {} : { handlers: flags.handlers });
  const workflow = pickWorkflow(loaded, flags.workflow);
  const store = await openStore(flags);
  const out = process.stdout;
  const mode = resolveMode(flags.progress, { json: flags.json === true, isTTY: out.isTTY, env: process.env });
  const display = createDisplay(mode, { out, colors: colorsOn(process.env) });
  const bus = createBus();
  // A run lease, as every process that executes runs holds: if this process is killed, the next
  // one on the store (a serve, another run) ends the run as RunAbandoned instead of leaving it running.
  const lease = await createRunLease(store, { onError: (error) => process.stderr.write(`[runtrail] run lease: ${error.message}\n`) }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const writer = createStoreWriter(bus, store, { lease });
  bus.onEvent((event) => display.event(event));
  writer.onCommit((batch) => {
    for (const { body } of batch.events) display.stored(body);
  });
  const handle = workflow.start(input, { bus, control: loaded.control ?? createControl(), accountId: flags.account });
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    handle.cancel("interrupted (Ctrl-C)");
  };
  process.on("SIGINT", onSigint);
  const watch = whenIdleSuspended(handle, bus);
  let suspended = false;
  try {
    suspended = await Promise.race([handle.result.then(() => false, () => false), watch.idle.then(() => true)]);
    watch.stop();
    await writer.close();
    // Let go of it on purpose: held by no lease, it is not "abandoned" but waits for a resume anywhere.
    if (suspended) await lease.release(flags.account, handle.runId, null);
  } finally {
    process.off("SIGINT", onSigint);
    display.close();
    await lease.close();
    await store.close();
  }
  const state = handle.state();
  if (state === undefined) throw new CliError(`the run of ${workflow.name} emitted no event`);
  if (suspended) {
    const waits = handle.waitingFor();
    const where = flags.postgres === undefined ? `--db ${flags.db}` : "--postgres URL";
    const what = waits.length === 0 ? "paused" : `waiting for signal ${waits.map((w) => `"${w}"`).join(", ")}`;
    const next = waits.length === 0 ? `runtrail resume ${state.runId} --url URL` : `runtrail signal ${state.runId} ${waits[0]} --data JSON --url URL`;
    process.stderr.write(
      `run ${state.runId} is suspended, ${what}; its trail is stored, and it needs no process to wait.\n` +
        `Resume it from a server that has the workflow: runtrail serve --workflows DIR ${where}, then ${next}\n`,
    );
    // The wait's timeout timer (if any) must not hold this process: a server's sweep times it out.
    throw new CliError("", EXIT_RUN_SUSPENDED);
  }
  const summary = renderLine({ ...EMPTY_VIEW, rootRunId: state.runId }, { kind: "run-ended", runId: state.runId, state }, pc.createColors(false));
  const failed = state.status !== "completed";
  if (mode === "plain") out.write(`${summary}\n`);
  else if (mode !== "tty" && failed) process.stderr.write(`${summary}\n`);
  if (mode === "tty") process.stderr.write(`stored as run ${state.runId} (account ${flags.account}) in ${flags.postgres === undefined ? flags.db : "PostgreSQL"}: runtrail events ${state.runId}\n`);
  if (failed) throw new CliError("", EXIT_RUN_FAILED);
}
