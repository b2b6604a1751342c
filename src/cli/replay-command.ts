/**
 * `runtrail replay RUN`: a stored run's events again, paced as they happened (`--speed` times
 * faster), through the same live view a running workflow gets; or, with `--at SEQ`, the run's
 * state right after that event (the projection a live run has at that point).
 */
import { Command } from "commander";
import pc from "picocolors";
import type { RunState } from "../projections/index.js";
import { integerIn, positiveNumber } from "./cli-input.js";
import { createDisplay } from "./live/display.js";
import { colorsOn, parseProgressMode, resolveMode, type ProgressMode } from "./live/progress-mode.js";
import { brief, displayKey, formatMs, progressBar } from "./live/view-render.js";
import { openStore, storeOptions, type StoreFlags } from "./store-open.js";

interface ReplayFlags extends StoreFlags {
  readonly at?: number;
  readonly speed: number;
  readonly progress: ProgressMode;
  readonly json?: boolean;
}

/**
 * The `replay` command.
 *
 * @example
 * await replayCommand().parseAsync(["run-1", "--speed", "10"], { from: "user" });
 */
export function replayCommand(): Command {
  return storeOptions(new Command("replay").description("replay a stored run at its pace, or show its state at a seq").argument("<runId>", "the run"))
    .option("--at <seq>", "show the run's state right after this event instead", integerIn(1, Number.MAX_SAFE_INTEGER, "--at"))
    .option("--speed <x>", "replay this many times faster than it happened", positiveNumber("--speed"), 1)
    .option("--progress <mode>", "auto | tty | plain | json | quiet", parseProgressMode, "auto")
    .option("--json", "NDJSON (with --at: the state as one JSON object)")
    .addHelpText("after", "\nExamples:\n  $ runtrail replay 0b7c… --speed 5\n  $ runtrail replay 0b7c… --at 12")
    .action(replay);
}

async function replay(runId: string, flags: ReplayFlags): Promise<void> {
  const [{ iterateRun, stateAt }, { requireRun }] = await Promise.all([import("../store/index.js"), import("./run-lookup.js")]);
  const store = await openStore(flags, { mustExist: true });
  try {
    await requireRun(store, flags.account, runId, flags);
    if (flags.at !== undefined) {
      const state = await stateAt(store, flags.account, runId, flags.at);
      if (state !== undefined) process.stdout.write(flags.json === true ? `${JSON.stringify(state)}\n` : describeState(state, flags.at));
      return;
    }
    const out = process.stdout;
    const mode = resolveMode(flags.progress, { json: flags.json === true, isTTY: out.isTTY, env: process.env });
    // The window's clock runs on the trail's time, so elapsed times read as they did live.
    let trailTs = 0;
    let realAt = performance.now();
    const now = (): number => trailTs + (performance.now() - realAt) * flags.speed;
    const display = createDisplay(mode, { out, colors: colorsOn(process.env), now });
    const stop = new AbortController();
    const onSigint = (): void => stop.abort();
    process.once("SIGINT", onSigint);
    try {
      let previous: number | undefined;
      for await (const { event } of iterateRun(store, flags.account, runId)) {
        if (stop.signal.aborted) break;
        if (previous !== undefined) {
          const wait = (event.ts - previous) / flags.speed;
          if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        previous = event.ts;
        trailTs = event.ts;
        realAt = performance.now();
        display.event(event);
        display.stored(JSON.stringify(event));
      }
    } finally {
      process.off("SIGINT", onSigint);
      display.close();
    }
  } finally {
    await store.close();
  }
}

/** A state as a few lines: status, each step, variables, progress. */
function describeState(state: RunState, seq: number): string {
  const c = pc.createColors(false);
  const lines = [`run ${state.runId} (${state.workflow.name}) after seq ${Math.min(seq, state.lastSeq)}: ${state.status}`];
  if (state.status === "failed") lines.push(`  error: ${state.error.name}: ${state.error.message}`);
  if (state.status === "completed") lines.push(`  output: ${brief(state.output, 200)}`);
  for (const [key, step] of Object.entries(state.steps)) {
    const extra =
      step.status === "completed" ? ` ${formatMs(step.durationMs)}` : step.status === "failed" || step.status === "retrying" ? `: ${step.error.message}` : step.status === "skipped" ? `: ${step.reason}` : "";
    lines.push(`  ${displayKey(key)}: ${step.status}${step.attempts > 1 ? ` (attempt ${step.attempts})` : ""}${extra}`);
  }
  const vars = Object.entries(state.variables);
  if (vars.length > 0) lines.push(`  variables: ${vars.map(([name, value]) => `${name} = ${brief(value)}`).join(", ")}`);
  if (state.progress.total > 0) lines.push(`  progress: ${progressBar(state, c)}`);
  return `${lines.join("\n")}\n`;
}
