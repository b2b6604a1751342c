/**
 * A run: its header (status, progress, time travel), the graph and the timeline, the event log,
 * and a side panel for the selected step or event (or the run). Everything chosen is in the URL:
 * `?step=&event=&types=&logStep=&at=`.
 */
import { lazy, Suspense, useCallback, useMemo, useRef } from "react";
import type { RuntrailEvent } from "../api/api-types.js";
import { navigate, setParams } from "../app/app-route.js";
import { parseTypes } from "../common/event-types.js";
import { formatDuration, keyOf } from "../common/format.js";
import { ProgressBar, StatusBadge } from "../common/status-badge.js";
import { EventLog, type EventLogHandle } from "./event-log.js";
import { EventPanel } from "./event-panel.js";
import { RunPanel } from "./run-panel.js";
import { RunTimeline } from "./run-timeline.js";
import { StepPanel } from "./step-panel.js";
import { useRunModel } from "./use-run-model.js";
import { useStateAt } from "./use-state-at.js";

// The graph's code (React Flow) is fetched as soon as this view's is, beside the run's data.
const graphCode = import("./run-graph.js");
const RunGraph = lazy(() => graphCode);

// Stable functions (not made per render), so the memoised graph and timeline skip live updates that do not touch them.
const selectStep = (id: string | undefined): void => setParams({ step: id, event: undefined });
const selectEvent = (seq: number): void => setParams({ event: String(seq), step: undefined });

const numberParam = (value: string | null): number | undefined => (value === null || !/^\d+$/.test(value) ? undefined : Number(value));

export default function RunView({ runId, params }: { runId: string; params: URLSearchParams }) {
  const log = useRef<EventLogHandle>(null);
  const onLive = useCallback((events: readonly RuntrailEvent[]) => log.current?.append(events), []);
  const { model: liveModel, error } = useRunModel(runId, onLive);
  const step = params.get("step") ?? undefined;
  const event = numberParam(params.get("event"));
  const at = numberParam(params.get("at"));
  const typesText = params.get("types") ?? "";
  const types = useMemo(() => parseTypes(typesText), [typesText]);
  const logStep = params.get("logStep") ?? undefined;
  const past = useStateAt(liveModel?.run, at);
  const model = at !== undefined ? (past ?? liveModel) : liveModel;
  const stepMap = model?.steps;
  const steps = useMemo(() => [...(stepMap?.values() ?? [])], [stepMap]);
  if (error !== undefined && liveModel === undefined) return <div className="alert">{error}</div>;
  if (model === undefined || liveModel === undefined) return <div className="empty">Opening run…</div>;
  const { run } = model;
  const live = liveModel.run;
  // While live, "now" moves in steps of 250 ms: the timeline redraws 4 times a second, not per event.
  const now = Math.ceil(Date.now() / 250) * 250;
  const end = run.endedAt ?? (at !== undefined ? run.lastEventAt : Math.max(run.lastEventAt, live.status === "running" ? now : run.lastEventAt));
  const percent = run.progress?.percent ?? (run.status === "completed" ? 100 : 0);
  return (
    <section className="run-view" data-run-status={run.status} data-testid="run-view">
      <div className="run-head">
        <a href="/" className="back" onClick={(e) => { e.preventDefault(); navigate("/"); }}>← Runs</a>
        <h1>
          {run.workflow.name}
          {run.workflow.version !== undefined && <span className="muted"> v{run.workflow.version}</span>}
        </h1>
        <StatusBadge status={run.status} />
        <span className="mono muted small">{run.runId}</span>
        <div className="spacer" />
        <div className="run-progress"><ProgressBar percent={percent} status={run.status} /><span className="small muted">{Math.round(percent)}%</span></div>
        <span className="mono">{formatDuration(run.durationMs ?? end - run.startedAt)}</span>
      </div>
      <div className="travel">
        <label htmlFor="travel">Seq</label>
        <input
          id="travel"
          type="range"
          min={1}
          max={Math.max(1, live.lastSeq)}
          value={at ?? live.lastSeq}
          onChange={(e) => setParams({ at: Number(e.target.value) >= live.lastSeq ? undefined : e.target.value })}
          aria-label="Time travel: the state at this seq"
        />
        <span className="mono small">{at === undefined ? `live · #${live.lastSeq.toLocaleString()}` : `at #${at.toLocaleString()} of ${live.lastSeq.toLocaleString()}`}</span>
        {at !== undefined && <button type="button" className="ghost" onClick={() => setParams({ at: undefined })}>Back to live</button>}
      </div>
      <div className="run-body">
        <div className="run-main">
          <div className="run-top">
            <Suspense fallback={<div className="graph empty">Loading graph…</div>}>
              <RunGraph steps={steps} waves={model.waves} selected={step?.split("@")[0]} onSelect={selectStep} />
            </Suspense>
            <RunTimeline steps={steps} waves={model.waves} start={run.startedAt} end={end} selected={step} onSelect={selectStep} />
          </div>
          <div className="log-bar">
            <h3>Events</h3>
            <input className="filter" aria-label="Event types" placeholder="Types, e.g. step.*, tool.*" defaultValue={typesText} onChange={(e) => setParams({ types: e.target.value })} />
            <select aria-label="Step filter" value={logStep ?? ""} onChange={(e) => setParams({ logStep: e.target.value })}>
              <option value="">All steps</option>
              {[...new Set(steps.map((s) => s.stepId))].map((id) => <option key={id} value={id}>{id}</option>)}
            </select>
          </div>
          <EventLog ref={log} runId={runId} lastSeq={live.lastSeq} startedAt={run.startedAt} types={types} step={logStep} selected={event} onSelect={selectEvent} />
        </div>
        <aside className="run-side">
          {event !== undefined ? (
            <EventPanel runId={runId} seq={event} onStep={selectStep} />
          ) : step !== undefined ? (
            <StepPanel runId={runId} stepKey={step} records={steps.filter((s) => s.stepId === step || keyOf(s.stepId, s.path) === step)} version={`${live.status}:${Math.floor(live.lastSeq / 200)}`} onEvent={selectEvent} />
          ) : (
            <RunPanel run={run} variables={model.variables} />
          )}
        </aside>
      </div>
    </section>
  );
}
