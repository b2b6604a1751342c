/**
 * The timeline (Gantt): one row per step and loop iteration. A bar runs from its first start to
 * its end (or now, while it runs) in its status's colour; the time it waited, runnable, for a
 * concurrency slot shows as a hollow bar before it (queue time apart from run time); earlier
 * failed attempts show as a hatched head; waves as bands behind the rows. Rows are virtualised:
 * a run of thousands of iterations draws only what is on screen.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useMemo, useRef } from "react";
import { stepKey, type StepState } from "../../../src/projections/index.js";
import { formatDuration } from "../common/format.js";
import type { Wave } from "./run-model.js";

const ROW = 24;

interface Props {
  readonly steps: Readonly<Record<string, StepState>>;
  readonly waves: readonly Wave[];
  readonly start: number;
  readonly end: number;
  readonly selected: string | undefined;
  /** Called with the row's step key (`id`, or `id@i` for a loop iteration). */
  readonly onSelect: (key: string) => void;
}

/** Where a bar's label goes: after it, else before it (queue included), else inside its end. */
function textPlace(left: number, right: number): "after" | "before" | "inside" {
  if (right <= 70) return "after";
  return left >= 30 ? "before" : "inside";
}

function textStyle(left: number, right: number): React.CSSProperties {
  const place = textPlace(left, right);
  if (place === "after") return { left: `calc(${right}% + 6px)` };
  if (place === "before") return { right: `calc(${100 - left}% + 6px)` };
  return { right: `calc(${100 - right}% + 4px)` };
}

const sum = (list: readonly number[]): number => list.reduce((a, b) => a + b, 0);

export const RunTimeline = memo(function RunTimeline({ steps, waves, start, end, selected, onSelect }: Props) {
  // By start; within one millisecond a step before its iterations, iterations in path order.
  const rows = useMemo(
    () => Object.values(steps).sort((a, b) => (a.queuedAt ?? a.startedAt ?? Infinity) - (b.queuedAt ?? b.startedAt ?? Infinity) || (a.path?.length ?? 0) - (b.path?.length ?? 0) || (a.path?.[0] ?? 0) - (b.path?.[0] ?? 0)),
    [steps],
  );
  const scroller = useRef<HTMLDivElement>(null);
  const list = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 15 });
  const span = Math.max(1, end - start);
  const pct = (ts: number): number => ((ts - start) / span) * 100;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <div className="timeline" data-testid="timeline">
      <div className="timeline-axis">
        <span className="timeline-label" />
        <div className="timeline-track">
          {ticks.map((t) => (
            <span key={t} className="tick" style={{ left: `${t * 100}%` }}>
              {formatDuration(t * span)}
            </span>
          ))}
        </div>
      </div>
      <div className="timeline-scroll" ref={scroller}>
        <div className="timeline-bands">
          <span className="timeline-label" />
          <div className="timeline-track">
            {waves.map((w) => (
              <div key={`${w.wave}-${w.startedAt}`} className={`band band-${w.wave % 2}`} style={{ left: `${pct(w.startedAt)}%`, width: `${Math.max(0.3, pct(w.endedAt ?? end) - pct(w.startedAt))}%` }} title={`wave ${w.wave}: ${w.stepIds.join(", ")}`} />
            ))}
          </div>
        </div>
        <div style={{ height: list.getTotalSize(), position: "relative" }}>
          {list.getVirtualItems().map((item) => {
            const s = rows[item.index]!;
            const from = s.startedAt ?? end;
            const to = s.status === "running" || s.status === "retrying" ? end : (s.endedAt ?? end);
            const last = s.durationsMs.at(-1);
            const retried = s.attempts > 1 && last !== undefined ? Math.max(0, sum(s.durationsMs) - last) : 0;
            const width = Math.max(0.4, pct(to) - pct(from));
            const head = to > from ? Math.min(100, (retried / (to - from)) * 100) : 0;
            const queuedFrom = s.queuedAt;
            const key = stepKey(s.stepId, s.path);
            const path = s.path ?? [];
            const labelAt = queuedFrom ?? from;
            return (
              <div key={key} className={`vrow timeline-row ${selected === key || selected === s.stepId ? "selected" : ""}`} style={{ transform: `translateY(${item.start}px)`, height: ROW }} onClick={() => onSelect(key)} data-step-key={key}>
                <span className="timeline-label mono" title={key}>
                  {path.length > 0 ? <span className="muted">{s.stepId}</span> : s.stepId}
                  {path.length > 0 && <span> [{path.join(".")}]</span>}
                </span>
                <div className="timeline-track">
                  {queuedFrom !== undefined && (
                    <div className="bar-queued" data-testid="queued-bar" style={{ left: `${pct(queuedFrom)}%`, width: `${Math.max(0.2, pct(from) - pct(queuedFrom))}%` }} title={`${key}: queued ${formatDuration(s.queuedMs)} for a concurrency slot`} />
                  )}
                  <div className={`bar status-${s.status}`} style={{ left: `${pct(from)}%`, width: `${width}%` }} title={`${key}: ${s.status}, ${s.attempts} attempt(s), ${formatDuration(last)}`}>
                    {head > 0 && <span className="bar-retries" style={{ width: `${head}%` }} />}
                  </div>
                  {/* The label goes after the bar, or before it when the bar ends near the right edge. */}
                  <span className={`bar-text mono ${textPlace(pct(labelAt), pct(from) + width)}`} style={textStyle(pct(labelAt), pct(from) + width)}>
                    {formatDuration(last ?? (s.endedAt === undefined ? end - from : undefined))}
                    {s.attempts > 1 ? ` · ${s.attempts} attempts` : ""}
                    {s.queuedMs !== undefined ? ` · queued ${formatDuration(s.queuedMs)}` : ""}
                  </span>
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
});
