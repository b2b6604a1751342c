/**
 * A run: its header (status, progress, time travel), the graph and the timeline, the event log,
 * and a side panel for the selected step or event (or the run). Everything chosen is in the URL:
 * `?step=&event=&types=&logStep=&at=&signal=`.
 */
import { useCallback, useMemo, useRef } from "react";
import { useModule } from "../common/use-module.js";
import type RunGraphView from "./run-graph.js";
import type { RuntrailEvent } from "../api/api-types.js";
import { navigate, setParams } from "../app/app-route.js";
import { parseTypes } from "../common/event-types.js";
import { stepKey } from "../../../src/projections/index.js";
import { formatDuration } from "../common/format.js";
import { ProgressBar, StatusBadge } from "../common/status-badge.js";
import { EventLog, type EventLogHandle } from "./event-log.js";
import { EventPanel } from "./event-panel.js";
import { RunPanel } from "./run-panel.js";
import { endedAt, type Wave } from "./run-model.js";
import type { RunState } from "../../../src/projections/index.js";
import { RunTimeline } from "./run-timeline.js";
import { StepPanel } from "./step-panel.js";
import { useRunModel } from "./use-run-model.js";
import { ParentLink, SuspendAction, SuspensionBanner } from "./run-suspension.js";
import { useChildRuns } from "./use-child-runs.js";
import { useRunControls } from "./use-run-controls.js";
import { useStateAt } from "./use-state-at.js";


// Stable functions (not made per render), so the memoised graph and timeline skip live updates that do not touch them.
const selectStep = (id: string | undefined): void => setParams({ step: id, event: undefined });
const selectEvent = (seq: number): void => setParams({ event: String(seq), step: undefined });
const selectSignal = (name: string): void => setParams({ signal: name });

/** The step ids for the log's step filter: the graph's, else those seen. */
function useStepIds(model: ReturnType<typeof useRunModel>["model"]): string[] {
  const graph = model?.graph;
  const steps = model?.state.steps;
  return useMemo(() => (graph !== undefined ? [...new Set(graph.steps.map((s) => s.id))] : [...new Set(Object.values(steps ?? {}).map((s) => s.stepId))]), [graph, steps]);
}

/** The ids of the graph's sub-workflow steps. */
function useSubSteps(model: ReturnType<typeof useRunModel>["model"]): ReadonlySet<string> {
  const graph = model?.graph;
  return useMemo(() => new Set(graph?.steps.filter((s) => s.kind === "workflow").map((s) => s.id) ?? []), [graph]);
}

/** How many sub-workflow step attempts have started: the child runs are read again when it grows. */
function countStarted(model: ReturnType<typeof useRunModel>["model"], ids: ReadonlySet<string>): number {
  if (model === undefined || ids.size === 0) return 0;
  let n = 0;
  for (const s of Object.values(model.state.steps)) if (ids.has(s.stepId)) n += s.attempts;
  return n;
}

let marked = false;

const NO_WAVES: readonly Wave[] = [];

/** The latest start or end among the steps: one pass, once per change of the steps (not per render, not spread into Math.max). */
function useLastStepTime(steps: RunState["steps"] | undefined, startedAt: number): number {
  return useMemo(() => {
    let last = startedAt;
    for (const s of Object.values(steps ?? {})) last = Math.max(last, s.endedAt ?? s.startedAt ?? 0);
    return last;
  }, [steps, startedAt]);
}

const numberParam = (value: string | null): number | undefined => (value === null || !/^\d+$/.test(value) ? undefined : Number(value));

/** The graph's code (React Flow), loaded beside the run's data (the app shell starts it early on a deep link). */
export type GraphLoader = () => Promise<{ default: typeof RunGraphView }>;

export default function RunView({ runId, params, loadGraph }: { runId: string; params: URLSearchParams; loadGraph: GraphLoader }) {
  const graphModule = useModule(loadGraph);
  const log = useRef<EventLogHandle>(null);
  const onLive = useCallback((events: readonly RuntrailEvent[]) => log.current?.append(events), []);
  const { model: liveModel, error } = useRunModel(runId, onLive);
  const step = params.get("step") ?? undefined;
  const event = numberParam(params.get("event"));
  const at = numberParam(params.get("at"));
  const typesText = params.get("types") ?? "";
  const types = useMemo(() => parseTypes(typesText), [typesText]);
  const logStep = params.get("logStep") ?? undefined;
  const stepIds = useStepIds(liveModel);
  const past = useStateAt(liveModel?.record, at);
  const { controls, refresh: refreshControls } = useRunControls(runId, liveModel?.state.status, liveModel?.state.lastSeq ?? 0);
  const subSteps = useSubSteps(liveModel);
  const wait = controls?.status === "suspended" ? controls.suspension : undefined;
  // Memoised on its parts, so the memoised graph re-renders only when the wait changes.
  const waitingStep = useMemo(() => (wait?.stepId !== undefined && wait.waitingFor !== undefined ? { stepId: wait.stepId, signal: wait.waitingFor } : undefined), [wait?.stepId, wait?.waitingFor]);
  const childRuns = useChildRuns(runId, subSteps.size > 0, `${liveModel?.state.status}:${countStarted(liveModel, subSteps)}`);
  const model = at !== undefined ? (past ?? liveModel) : liveModel;
  const lastEventAt = useLastStepTime(model?.state.steps, model?.state.startedAt ?? 0);
  if (error !== undefined && liveModel === undefined) return <div className="alert">{error}</div>;
  if (model === undefined || liveModel === undefined) return <div className="empty">Opening run…</div>;
  if (!marked) {
    marked = true;
    performance.mark("runtrail:run-view-render");
  }
  const run = model.state;
  const graph = model.graph ?? liveModel.graph;
  const record = liveModel.record;
  const liveSeq = liveModel.state.lastSeq;
  const liveStatus = liveModel.state.status;
  // While live, "now" moves in steps of 250 ms: the timeline redraws 4 times a second, not per event.
  const now = Math.ceil(Date.now() / 250) * 250;
  const end = endedAt(run) ?? (at !== undefined ? lastEventAt : liveStatus === "running" ? Math.max(now, lastEventAt) : Math.max(lastEventAt, record.lastEventAt));
  const percent = run.progress.total > 0 ? run.progress.percent : run.status === "completed" ? 100 : 0;
  const durationMs = run.status === "completed" || run.status === "failed" || run.status === "cancelled" ? run.durationMs : end - run.startedAt;
  return (
    <section className="run-view" data-run-status={run.status} data-testid="run-view" data-replaying={at !== undefined && past === undefined ? "true" : "false"}>
      <div className="run-head">
        <a href="/" className="back" onClick={(e) => { e.preventDefault(); navigate("/"); }}>← Runs</a>
        <h1>
          {run.workflow.name}
          {run.workflow.version !== undefined && <span className="muted"> v{run.workflow.version}</span>}
        </h1>
        <StatusBadge status={run.status} />
        <span className="mono muted small">{run.runId}</span>
        <ParentLink record={record} />
        <div className="spacer" />
        <SuspendAction runId={runId} controls={controls} status={liveStatus} onChanged={refreshControls} />
        <div className="run-progress"><ProgressBar percent={percent} status={run.status} /><span className="small muted">{Math.round(percent)}%</span></div>
        <span className="mono">{formatDuration(durationMs)}</span>
      </div>
      <div className="travel">
        <label htmlFor="travel">Seq</label>
        <input
          id="travel"
          type="range"
          min={1}
          max={Math.max(1, liveSeq)}
          value={at ?? liveSeq}
          onChange={(e) => setParams({ at: Number(e.target.value) >= liveSeq ? undefined : e.target.value })}
          aria-label="Time travel: the state at this seq"
        />
        <span className="mono small">{at === undefined ? `live · #${liveSeq.toLocaleString()}` : `at #${at.toLocaleString()} of ${liveSeq.toLocaleString()}${past === undefined ? " · replaying…" : ""}`}</span>
        {at !== undefined && <button type="button" className="ghost" onClick={() => setParams({ at: undefined })}>Back to live</button>}
      </div>
      {/* The server's word on what the run waits for (the live fold can lag the controls by an event). */}
      {(liveStatus === "suspended" || liveStatus === "running") && controls?.status === "suspended" && <SuspensionBanner runId={runId} controls={controls} signal={params.get("signal") ?? undefined} onSignal={selectSignal} onChanged={refreshControls} onStep={selectStep} />}
      <div className="run-body">
        <div className="run-main">
          <div className="run-top">
            {graphModule === undefined ? (
              <div className="graph empty">Loading graph…</div>
            ) : (
              // With the workflow's graph the layout needs no waves: the waves read after the open do not lay it out again.
              <graphModule.default steps={run.steps} graph={graph} waves={graph === undefined ? model.waves : NO_WAVES} selected={step?.split("@")[0]} onSelect={selectStep} childRuns={childRuns} waiting={waitingStep} />
            )}
            <RunTimeline steps={run.steps} waves={model.waves} start={run.startedAt} end={end} selected={step} onSelect={selectStep} />
          </div>
          <div className="log-bar">
            <h3>Events</h3>
            <input className="filter" aria-label="Event types" placeholder="Types, e.g. step.*, tool.*" defaultValue={typesText} onChange={(e) => setParams({ types: e.target.value })} />
            <select aria-label="Step filter" value={logStep ?? ""} onChange={(e) => setParams({ logStep: e.target.value })}>
              <option value="">All steps</option>
              {stepIds.map((id) => <option key={id} value={id}>{id}</option>)}
            </select>
          </div>
          <EventLog ref={log} runId={runId} lastSeq={liveSeq} startedAt={run.startedAt} types={types} step={logStep} selected={event} onSelect={selectEvent} />
        </div>
        <aside className="run-side">
          {event !== undefined ? (
            <EventPanel runId={runId} seq={event} onStep={selectStep} />
          ) : step !== undefined ? (
            <StepPanel runId={runId} stepKey={step} records={Object.values(run.steps).filter((s) => s.stepId === step || stepKey(s.stepId, s.path) === step)} version={`${liveStatus}:${Math.floor(liveSeq / 200)}`} onEvent={selectEvent} childRuns={childRuns[step.split("@")[0]!]} />
          ) : (
            <RunPanel state={run} record={record} />
          )}
        </aside>
      </div>
    </section>
  );
}
