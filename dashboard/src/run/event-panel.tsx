/** One event in full (large values as a preview with a download), read by its seq. */
import { useEffect, useState } from "react";
import { api } from "../api/api-client.js";
import type { EventsPage, RuntrailEvent } from "../api/api-types.js";
import { stepKey } from "../../../src/projections/index.js";
import { formatClock } from "../common/format.js";
import { ValueView } from "../common/value-view.js";

export function EventPanel({ runId, seq, onStep }: { runId: string; seq: number; onStep: (stepId: string) => void }) {
  const [event, setEvent] = useState<RuntrailEvent | null | undefined>();
  useEffect(() => {
    let stopped = false;
    setEvent(undefined);
    api<EventsPage>(`/runs/${encodeURIComponent(runId)}/events`, { query: { after: seq - 1, limit: 1 } })
      .then((page) => !stopped && setEvent(page.events[0]?.seq === seq ? page.events[0] : null))
      .catch(() => !stopped && setEvent(null));
    return () => {
      stopped = true;
    };
  }, [runId, seq]);
  if (event === undefined) return <div className="panel muted">Reading event #{seq}…</div>;
  if (event === null) return <div className="panel muted">No event #{seq} in this run.</div>;
  return (
    <div className="panel" data-testid="event-panel">
      <div className="panel-head">
        <h2>
          <span className={`etype fam-${event.type.split(".")[0]}`}>{event.type}</span>
        </h2>
        <span className="mono muted">#{event.seq}</span>
      </div>
      <dl className="facts">
        <dt>Time</dt><dd className="mono">{formatClock(event.ts)}</dd>
        {event.stepId !== undefined && (
          <>
            <dt>Step</dt>
            <dd><a href="#" className="mono" onClick={(e) => { e.preventDefault(); onStep(event.stepId!); }}>{stepKey(event.stepId, event.path)}</a></dd>
          </>
        )}
        {event.attempt !== undefined && (<><dt>Attempt</dt><dd>{event.attempt}</dd></>)}
      </dl>
      <ValueView value={event} name={`${runId}-${event.seq}`} />
    </div>
  );
}
