/**
 * The step panel: status, attempts with their errors and the control decisions taken, input,
 * output, metrics, issues, and the step's tool and LLM calls. Read from the step's own events,
 * fetched for the one step row shown (the latest iteration of a loop step) when the panel opens.
 * A sub-workflow step links to the child runs it started.
 */
import { useEffect, useState } from "react";
import type { StepState } from "../../../src/projections/index.js";
import { api } from "../api/api-client.js";
import type { RuntrailEvent, StepDetail } from "../api/api-types.js";
import { navigate } from "../app/app-route.js";
import { formatDuration, shortId } from "../common/format.js";
import { StatusBadge } from "../common/status-badge.js";
import { ValueView } from "../common/value-view.js";
import { stepCalls } from "./step-calls.js";

const KEEP = 2_000;

/**
 * The events of one step row (its id and loop path) from `GET /runs/:id/steps/:stepId`, read
 * when the panel opens: only that row's events are read, never the run's. Undefined while reading.
 */
function useStepEvents(runId: string, row: { stepId: string; path: readonly number[] } | undefined, version: string): RuntrailEvent[] | undefined {
  const [events, setEvents] = useState<RuntrailEvent[] | undefined>();
  const stepId = row?.stepId;
  const path = row?.path.join(".") ?? "";
  useEffect(() => {
    let stopped = false;
    if (stepId === undefined) {
      setEvents([]);
      return;
    }
    const read = async (): Promise<RuntrailEvent[]> => {
      const kept: RuntrailEvent[] = [];
      for (let after = 0; !stopped && kept.length < KEEP; ) {
        const page = await api<StepDetail>(`/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}`, { query: { path: path === "" ? undefined : path, after, limit: 1_000 } });
        kept.push(...page.events.slice(0, KEEP - kept.length));
        if (page.next === undefined) break;
        after = page.next;
      }
      return kept;
    };
    // A step the store has no row of yet (live, not yet committed) has no events to show yet.
    read()
      .then((kept) => !stopped && setEvents(kept), () => !stopped && setEvents([]));
    return () => {
      stopped = true;
    };
  }, [runId, stepId, path, version]);
  return events;
}

const any = (e: RuntrailEvent) => e as Record<string, unknown>;

/** `version` changes when the step's events should be read again (the run ended, or moved on a good deal). */
/** The child runs a sub-workflow step started, newest first, each a link to its view. */
function ChildRunLinks({ runIds }: { runIds: readonly string[] }) {
  return (
    <section>
      <h3>Child runs</h3>
      <ul className="calls" data-testid="child-runs">
        {runIds.map((id) => (
          <li key={id}>
            <a className="mono" href={`/runs/${encodeURIComponent(id)}`} title={id} onClick={(e) => { e.preventDefault(); navigate(`/runs/${encodeURIComponent(id)}`); }}>{shortId(id)} ↗</a>
          </li>
        ))}
      </ul>
    </section>
  );
}

interface StepPanelProps {
  readonly runId: string;
  readonly stepKey: string;
  readonly records: StepState[];
  readonly version: string;
  readonly onEvent: (seq: number) => void;
  /** For a sub-workflow step: the child runs it started. */
  readonly childRuns?: readonly string[] | undefined;
}

export function StepPanel({ runId, stepKey: key, records, version, onEvent, childRuns }: StepPanelProps) {
  const stepId = key;
  const main = records.at(-1);
  const events = useStepEvents(runId, main === undefined ? undefined : { stepId: main.stepId, path: main.path ?? [] }, version);
  const total = main === undefined ? 0 : main.durationsMs.reduce((a, b) => a + b, 0);
  const started = events?.find((e) => e.type === "step.started");
  const completed = events?.findLast((e) => e.type === "step.completed");
  const attempts = events?.filter((e) => e.type === "step.completed" || e.type === "step.failed" || e.type === "step.retrying" || e.type === "step.skipped") ?? [];
  const calls = events === undefined ? [] : stepCalls(events);
  return (
    <div className="panel" data-testid="step-panel">
      <div className="panel-head">
        <h2 className="mono">{stepId}</h2>
        {main !== undefined && <StatusBadge status={main.status} />}
      </div>
      {records.length > 1 && <p className="muted">{records.length} iterations: the latest is shown; pick one in the timeline.</p>}
      {main !== undefined && (
        <dl className="facts">
          <dt>Attempts</dt><dd>{main.attempts}</dd>
          <dt>Duration</dt><dd>{formatDuration(main.durationsMs.at(-1))}</dd>
          <dt>Total</dt><dd>{formatDuration(total)}</dd>
          {main.queuedMs !== undefined && (<><dt>Queued</dt><dd data-testid="step-queued">{formatDuration(main.queuedMs)} waiting for a concurrency slot</dd></>)}
        </dl>
      )}
      {main !== undefined && (main.status === "failed" || main.status === "retrying") && main.error.message !== "" && (
        <div className="error-box" data-testid="step-error">
          <strong>{main.error.name}</strong>: {main.error.message}
        </div>
      )}
      {childRuns !== undefined && childRuns.length > 0 && <ChildRunLinks runIds={childRuns} />}
      {events === undefined && <p className="muted">Reading the step's events…</p>}
      {attempts.length > 0 && (
        <section>
          <h3>Attempts</h3>
          <ol className="attempts" data-testid="attempts">
            {attempts.map((e) => (
              <li key={e.seq} onClick={() => onEvent(e.seq)} className={`attempt status-${e.type.split(".")[1]}`}>
                <span className="dot" />
                <span className="mono">#{e.seq}</span> {e.type.split(".")[1]}
                {e.attempt !== undefined && <span className="muted"> · attempt {e.attempt}</span>}
                {typeof any(e).durationMs === "number" && <span className="muted"> · {formatDuration(any(e).durationMs as number)}</span>}
                {e.type === "step.retrying" && <span className="muted"> · retry in {formatDuration(e.delayMs)}</span>}
                {any(e).error !== undefined && <div className="attempt-error">{String((any(e).error as { message?: unknown }).message)}</div>}
                {any(e).decision !== undefined && <div className="decision">decided by {String((any(e).decision as { handler?: unknown }).handler)}</div>}
              </li>
            ))}
          </ol>
        </section>
      )}
      {started !== undefined && any(started).input !== undefined && (
        <section><h3>Input</h3><ValueView value={any(started).input} name={`${stepId}-input`} /></section>
      )}
      {completed !== undefined && (
        <section><h3>Output</h3><ValueView value={any(completed).output} name={`${stepId}-output`} /></section>
      )}
      {completed !== undefined && any(completed).metrics !== undefined && (
        <section><h3>Metrics</h3><ValueView value={any(completed).metrics} name={`${stepId}-metrics`} /></section>
      )}
      {completed !== undefined && Array.isArray(any(completed).issues) && (
        <section><h3>Issues</h3><ul className="issues">{(any(completed).issues as string[]).map((text, i) => <li key={i}>{text}</li>)}</ul></section>
      )}
      {calls.length > 0 && (
        <section>
          <h3>Tool and LLM calls</h3>
          <ul className="calls" data-testid="calls">
            {calls.map((c) => (
              <li key={c.callId} onClick={() => onEvent(c.seq)} className={`status-${c.status}`}>
                <span className="dot" /> <span className={`etype fam-${c.kind}`}>{c.kind}</span> <span className="mono">{c.name}</span>
                <span className="muted"> · {c.status}</span>
                {c.usage !== undefined && <span className="muted"> · {c.usage.promptTokens ?? 0} + {c.usage.completionTokens ?? 0} tokens</span>}
                {c.durationMs !== undefined && <span className="muted"> · {formatDuration(c.durationMs)}</span>}
                {c.error !== undefined && <div className="attempt-error">{c.error}</div>}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
