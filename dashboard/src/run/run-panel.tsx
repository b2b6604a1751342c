/** The run's own panel (nothing selected): facts, error, and variables as they are at the shown seq. */
import type { Run } from "../api/api-types.js";
import { formatDuration, formatTime } from "../common/format.js";
import { ValueView } from "../common/value-view.js";

export function RunPanel({ run, variables }: { run: Run; variables: Readonly<Record<string, unknown>> }) {
  const names = Object.keys(variables);
  return (
    <div className="panel" data-testid="run-panel">
      <div className="panel-head"><h2>Run</h2></div>
      <dl className="facts">
        <dt>Run id</dt><dd className="mono small">{run.runId}</dd>
        <dt>Account</dt><dd>{run.accountId}</dd>
        <dt>Started</dt><dd>{formatTime(run.startedAt)}</dd>
        <dt>Duration</dt><dd>{formatDuration(run.durationMs ?? run.lastEventAt - run.startedAt)}</dd>
        <dt>Events</dt><dd>{run.lastSeq.toLocaleString()}</dd>
        <dt>Steps</dt><dd>{run.stepsCompleted} completed · {run.stepsFailed} failed · {run.stepsSkipped} skipped</dd>
        <dt>Retries</dt><dd>{run.retries}</dd>
        <dt>Issues</dt><dd>{run.issueCount}</dd>
        {run.parentRunId !== undefined && (<><dt>Parent</dt><dd><a className="mono" href={`/runs/${encodeURIComponent(run.parentRunId)}`}>{run.parentRunId}</a></dd></>)}
      </dl>
      {run.error !== undefined && <div className="error-box"><strong>{run.error.name ?? "Error"}</strong>: {run.error.message}</div>}
      <section>
        <h3>Variables</h3>
        {names.length === 0 ? <p className="muted">none</p> : (
          <dl className="facts vars" data-testid="variables">
            {names.map((name) => (
              <div key={name} className="var"><dt className="mono">{name}</dt><dd><ValueView value={variables[name]} name={name} /></dd></div>
            ))}
          </dl>
        )}
      </section>
    </div>
  );
}
