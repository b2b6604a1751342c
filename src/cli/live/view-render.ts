/**
 * The live view as text: the window (running steps with a spinner and elapsed time, the open
 * wave, loop iterations, calls in flight, a progress bar, the last changed variables) and the
 * finished lines that scroll above it. Pure: the same state, time and colours give the same text.
 */
import type pc from "picocolors";
import type { RunState } from "../../projections/index.js";
import type { ViewLine, ViewState } from "./view-state.js";

/** The colour functions (picocolors, or `createColors(false)` for none). */
export type Colors = ReturnType<typeof pc.createColors>;

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const BAR_WIDTH = 24;
/** Running steps shown at most; more are counted on one line, so the window fits a terminal. */
const MAX_RUNNING = 8;

/** How long ago, for people: `850ms`, `2.4s`, `3m05s`. */
export function formatMs(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const s = Math.floor(ms / 1_000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** A value in a few characters: JSON, cut to `max`. */
export function brief(value: unknown, max = 40): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function runLabel(state: ViewState, runId: string): string {
  if (runId === state.rootRunId) return "";
  const run = state.runs[runId];
  return `${run?.workflow.name ?? runId} › `;
}

/**
 * One finished line, as it scrolls above the window (or, without the window, as printed).
 *
 * @example
 * renderLine(view, { kind: "step-skipped", runId, step: "audit", reason: 'when "x > 1" was false' }, pc)
 * // "○ audit skipped: when "x > 1" was false"
 */
export function renderLine(state: ViewState, line: ViewLine, c: Colors): string {
  const where = line.kind === "run-ended" ? "" : `${runLabel(state, line.runId)}${displayKey(line.step)}`;
  switch (line.kind) {
    case "step-completed":
      return `${c.green("✓")} ${where} ${c.dim(formatMs(line.durationMs))}${line.attempt > 1 ? c.dim(` (attempt ${line.attempt})`) : ""}${line.fallback === undefined ? "" : c.yellow(` fallback by ${line.fallback.handler}`)}`;
    case "step-failed":
      return `${c.red("✗")} ${c.red(`${where} failed`)}${line.attempt > 1 ? ` (attempt ${line.attempt})` : ""}: ${c.red(`${line.error.name}: ${line.error.message}`)}`;
    case "step-retrying":
      return `${c.yellow("↻")} ${where} attempt ${line.nextAttempt - 1} failed (${line.error.message}); attempt ${line.nextAttempt} in ${formatMs(line.delayMs)}${line.decision === undefined ? "" : `, decided by ${c.bold(line.decision.handler)}`}`;
    case "step-skipped":
      return `${c.dim("○")} ${where} ${c.dim(`skipped: ${line.reason}`)}${line.decision === undefined ? "" : c.dim(` (decided by ${line.decision.handler})`)}`;
    case "call-failed":
      return `${c.yellow("!")} ${where} ${line.call} failed: ${line.error.message}`;
    case "run-ended":
      return endLine(state, line.state, c);
  }
}

function endLine(state: ViewState, run: RunState, c: Colors): string {
  const name = run.runId === state.rootRunId ? `run ${run.workflow.name}` : `sub-run ${run.workflow.name}`;
  const p = run.progress;
  const counts = `${p.completed} completed, ${p.skipped} skipped, ${p.failed} failed`;
  switch (run.status) {
    case "completed":
      return `${c.green("●")} ${c.bold(name)} ${c.green("completed")} in ${formatMs(run.durationMs)} (${counts}); output ${brief(run.output, 60)}`;
    case "failed": {
      // The failed step's own error says why; the run's error wraps it in where it happened.
      const failed = Object.entries(run.steps).find(([, s]) => s.status === "failed");
      const step = failed?.[1];
      const error = step?.status === "failed" ? step.error : run.error;
      const at = failed === undefined ? "" : ` at step ${displayKey(failed[0])}${step !== undefined && step.attempts > 1 ? ` (attempt ${step.attempts})` : ""}`;
      return `${c.red("●")} ${c.bold(name)} ${c.red(`failed${at}`)} after ${formatMs(run.durationMs)}: ${c.red(`${error.name}: ${error.message}`)}`;
    }
    case "cancelled":
      return `${c.yellow("●")} ${c.bold(name)} ${c.yellow("cancelled")} after ${formatMs(run.durationMs)}${run.reason === undefined ? "" : `: ${run.reason}`}`;
    default:
      return `${c.bold(name)} ${run.status}`;
  }
}

/** The progress bar: filled by percent, with counts. */
export function progressBar(run: RunState, c: Colors): string {
  const p = run.progress;
  const filled = Math.round((p.percent / 100) * BAR_WIDTH);
  const bar = c.green("█".repeat(filled)) + c.dim("░".repeat(BAR_WIDTH - filled));
  const extra = [p.skipped > 0 ? `${p.skipped} skipped` : "", p.failed > 0 ? c.red(`${p.failed} failed`) : ""].filter(Boolean).join(", ");
  return `${bar} ${String(Math.round(p.percent)).padStart(3)}% ${p.completed + p.skipped + p.failed}/${p.total} steps${extra === "" ? "" : ` (${extra})`}`;
}

/**
 * The window: what is running now. Empty once nothing runs.
 *
 * @example
 * logUpdate(renderWindow(view, Date.now(), pc));
 */
export function renderWindow(state: ViewState, now: number, c: Colors): string {
  const root = state.rootRunId === undefined ? undefined : state.runs[state.rootRunId];
  if (root === undefined) return "";
  const spin = SPINNER[Math.floor(now / 80) % SPINNER.length]!;
  const out: string[] = [];
  const running = root.status === "running" || root.status === "suspended";
  const wave = state.waves[root.runId];
  const head = running ? c.cyan(spin) : c.dim("●");
  out.push(`${head} ${c.bold(root.workflow.name)}${root.workflow.version === undefined ? "" : c.dim(`@${root.workflow.version}`)} ${c.dim(root.runId)} ${formatMs(now - root.startedAt)}${wave === undefined ? "" : c.dim(`  wave ${wave.wave}: ${wave.stepIds.join(", ")}`)}${root.status === "suspended" ? c.yellow(" suspended") : ""}`);
  const rows: string[] = [];
  for (const [key, start] of Object.entries(state.since)) {
    const slash = key.indexOf("/");
    const runId = key.slice(0, slash);
    const stepId = key.slice(slash + 1);
    const step = state.runs[runId]?.steps[stepId];
    if (step === undefined) continue;
    const name = `${runLabel(state, runId)}${displayKey(stepId)}`;
    const retry = step.status === "retrying" ? c.yellow(` waiting to retry (attempt ${step.nextAttempt})`) : step.attempts > 1 ? c.yellow(` attempt ${step.attempts}`) : "";
    rows.push(`  ${c.cyan(spin)} ${name}${retry} ${c.dim(formatMs(now - start))}`);
  }
  out.push(...rows.slice(0, MAX_RUNNING));
  if (rows.length > MAX_RUNNING) out.push(c.dim(`  … and ${rows.length - MAX_RUNNING} more running`));
  for (const call of Object.values(state.calls)) out.push(`    ${c.magenta("→")} ${displayKey(call.step)} ${call.label} ${c.dim(formatMs(now - call.since))}`);
  for (const loop of Object.values(state.loops)) {
    out.push(`  ${c.blue("⟳")} ${runLabel(state, loop.runId)}${loop.loopId} iteration ${loop.begun}${loop.total === undefined ? "" : `/${loop.total}`}`);
  }
  if (root.progress.total > 0) out.push(`  ${progressBar(root, c)}`);
  const vars = state.changed.map((name) => `${name} = ${brief(root.variables[name], 30)}`);
  if (vars.length > 0) out.push(`  ${c.dim("vars")} ${vars.join(c.dim(" · "))}`);
  return out.join("\n");
}

/** `validate@1` (the projection's key) as people write it: `validate[1]`. */
export function displayKey(key: string): string {
  const at = key.indexOf("@");
  return at < 0 ? key : `${key.slice(0, at)}[${key.slice(at + 1).replace(/\./g, "][")}]`;
}
