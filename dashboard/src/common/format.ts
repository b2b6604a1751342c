/** Formatting of durations, times, sizes, progress and ids for the views. */
import type { Progress } from "../../../src/events/index.js";

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms === 0) return "0 ms";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m ${Math.round((ms % 60_000) / 1_000)}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

export function formatTime(ts: number): string {
  const d = new Date(ts);
  return `${d.toLocaleDateString(undefined, { month: "short", day: "numeric" })} ${d.toLocaleTimeString(undefined, { hour12: false })}`;
}

export function formatClock(ts: number): string {
  const d = new Date(ts);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A run's progress as "done/total": done counts skipped and failed steps as well as completed
 * ones, like its percent does (a finished run with skipped steps reads 10/10, not 8/10).
 */
export function formatProgress(progress: Progress): string {
  const done = progress.completed + progress.skipped + progress.failed;
  const extra = [progress.skipped > 0 ? `${progress.skipped} skipped` : "", progress.failed > 0 ? `${progress.failed} failed` : ""].filter((part) => part !== "");
  return `${done}/${progress.total}${extra.length === 0 ? "" : ` (${extra.join(", ")})`}`;
}

export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}
