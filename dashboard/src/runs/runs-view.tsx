/**
 * The runs list: live status, progress, workflow and version, account, start and duration;
 * filters by status and workflow kept in the URL; rows virtualised; older pages by cursor.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState } from "react";
import type { Run } from "../api/api-types.js";
import { navigate, setParams } from "../app/app-route.js";
import { formatDuration, formatProgress, formatTime, shortId } from "../common/format.js";
import { ProgressBar, StatusBadge } from "../common/status-badge.js";
import { useLiveRuns } from "./use-live-runs.js";

const STATUSES = ["running", "completed", "failed", "cancelled", "suspended"] as const;
const ROW = 44;

/** Re-renders every second while `on`, for the running runs' durations. */
function useTick(on: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [on]);
  return now;
}

function RunRow({ run, now }: { run: Run; now: number }) {
  const percent = run.progress?.percent ?? (run.status === "completed" ? 100 : 0);
  const duration = run.durationMs ?? (run.status === "running" ? now - run.startedAt : run.lastEventAt - run.startedAt);
  return (
    <a className="run-row" href={`/runs/${encodeURIComponent(run.runId)}`} data-run-id={run.runId} data-status={run.status} onClick={(event) => {
      event.preventDefault();
      navigate(`/runs/${encodeURIComponent(run.runId)}`);
    }}>
      <span className="col-status"><StatusBadge status={run.status} /></span>
      <span className="col-id mono" title={run.runId}>{shortId(run.runId)}</span>
      <span className="col-workflow">
        {run.workflow.name}
        {run.workflow.version !== undefined && <span className="muted"> v{run.workflow.version}</span>}
      </span>
      <span className="col-progress">
        <ProgressBar percent={percent} status={run.status} />
        <span className="muted small">{run.progress === undefined ? "" : formatProgress(run.progress)}</span>
      </span>
      <span className="col-account muted">{run.accountId}</span>
      <span className="col-start muted">{formatTime(run.startedAt)}</span>
      <span className="col-duration mono">{formatDuration(duration)}</span>
      <span className="col-events muted mono">{run.eventCount.toLocaleString()}</span>
    </a>
  );
}

export function RunsView({ params }: { params: URLSearchParams }) {
  const status = params.getAll("status");
  const workflow = params.get("workflow") ?? "";
  const { runs, next, loading, error, loadMore, connected } = useLiveRuns({ status, workflow });
  const now = useTick(runs.some((run) => run.status === "running"));
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({ count: runs.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 10 });
  const toggle = (s: string): void => {
    const next = status.includes(s) ? status.filter((x) => x !== s) : [...status, s];
    const query = new URLSearchParams(params);
    query.delete("status");
    for (const value of next) query.append("status", value);
    window.history.replaceState(null, "", `/?${query.toString()}`);
    window.dispatchEvent(new Event("runtrail:navigate"));
  };
  return (
    <section className="runs-view">
      <div className="toolbar">
        <h1>Runs</h1>
        <div className="chips">
          {STATUSES.map((s) => (
            <button key={s} type="button" className={`chip ${status.includes(s) ? "on" : ""} status-${s}`} aria-pressed={status.includes(s)} onClick={() => toggle(s)}>
              <span className="dot" />
              {s}
            </button>
          ))}
        </div>
        <input className="filter" placeholder="Workflow" aria-label="Workflow filter" defaultValue={workflow} onChange={(event) => setParams({ workflow: event.target.value })} />
        <span className={`live-dot ${connected ? "on" : ""}`} data-live={connected ? "on" : "off"} title={connected ? "Live: new runs appear as they start" : "Connecting…"}>{connected ? "live" : "connecting"}</span>
      </div>
      {error !== undefined && <div className="alert">{error}</div>}
      <div className="table-head run-row">
        <span className="col-status">Status</span>
        <span className="col-id">Run</span>
        <span className="col-workflow">Workflow</span>
        <span className="col-progress">Progress</span>
        <span className="col-account">Account</span>
        <span className="col-start">Started</span>
        <span className="col-duration">Duration</span>
        <span className="col-events">Events</span>
      </div>
      <div className="runs-scroll" ref={scroller} data-testid="runs-list">
        {!loading && runs.length === 0 && <div className="empty">No runs yet. Start one and it appears here.</div>}
        <div style={{ height: rows.getTotalSize(), position: "relative" }}>
          {rows.getVirtualItems().map((item) => {
            const run = runs[item.index]!;
            return (
              <div key={run.runId} className="vrow" style={{ transform: `translateY(${item.start}px)`, height: ROW }}>
                <RunRow run={run} now={now} />
              </div>
            );
          })}
        </div>
        {next !== undefined && (
          <button type="button" className="load-more" onClick={() => void loadMore()}>
            Older runs
          </button>
        )}
      </div>
    </section>
  );
}
