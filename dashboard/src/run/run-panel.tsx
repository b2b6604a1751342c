/** The run's own panel (nothing selected): facts, error, and variables as they are at the shown seq. */
import type { RunState } from "../../../src/projections/index.js";
import type { Run } from "../api/api-types.js";
import { navigate } from "../app/app-route.js";
import { formatDuration, formatTime } from "../common/format.js";
import { ValueView } from "../common/value-view.js";
import { endedAt, stepCounts } from "./run-model.js";

/** The parent run of a sub-workflow run, opened at the step that started this one. */
function ParentRun({ runId, stepId }: { runId: string; stepId: string | undefined }) {
  const path = `/runs/${encodeURIComponent(runId)}`;
  return (
    <a className="mono" href={stepId === undefined ? path : `${path}?step=${encodeURIComponent(stepId)}`} onClick={(e) => { e.preventDefault(); navigate(path, { step: stepId }); }}>
      {runId}{stepId !== undefined && <span className="muted"> · step {stepId}</span>}
    </a>
  );
}

export function RunPanel({ state, record }: { state: RunState; record: Run }) {
  const names = Object.keys(state.variables);
  const counts = stepCounts(state);
  // The row has it whatever the model was folded from.
  const parent = state.parentRunId ?? record.parentRunId;
  // A live or suspended run: up to its latest step time, as the header counts (the row was read at open).
  const latest = Object.values(state.steps).reduce((max, s) => Math.max(max, s.endedAt ?? s.startedAt ?? 0), record.lastEventAt);
  const duration = "durationMs" in state ? state.durationMs : (endedAt(state) ?? latest) - state.startedAt;
  return (
    <div className="panel" data-testid="run-panel">
      <div className="panel-head"><h2>Run</h2></div>
      <dl className="facts">
        <dt>Run id</dt><dd className="mono small">{state.runId}</dd>
        <dt>Account</dt><dd>{state.accountId}</dd>
        <dt>Started</dt><dd>{formatTime(state.startedAt)}</dd>
        <dt>Duration</dt><dd>{formatDuration(duration)}</dd>
        <dt>Events</dt><dd>{state.lastSeq.toLocaleString()}</dd>
        <dt>Steps</dt><dd>{counts.completed} completed · {counts.failed} failed · {counts.skipped} skipped</dd>
        <dt>Retries</dt><dd>{counts.retries}</dd>
        <dt>Issues</dt><dd>{counts.issues}</dd>
        {parent !== undefined && (<><dt>Parent</dt><dd><ParentRun runId={parent} stepId={record.parentStepId} /></dd></>)}
      </dl>
      {state.status === "failed" && <div className="error-box"><strong>{state.error.name}</strong>: {state.error.message}</div>}
      <section>
        <h3>Variables</h3>
        {names.length === 0 ? <p className="muted">none</p> : (
          <dl className="facts vars" data-testid="variables">
            {names.map((name) => (
              <div key={name} className="var"><dt className="mono">{name}</dt><dd><ValueView value={state.variables[name]} name={name} /></dd></div>
            ))}
          </dl>
        )}
      </section>
    </div>
  );
}
