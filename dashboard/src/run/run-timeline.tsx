/**
 * The timeline (Gantt): one row per step and loop iteration, a bar from its first start to its
 * end (or now, while it runs) in its status's colour; earlier failed attempts show as a hatched
 * head of the bar, waves as bands behind the rows. Rows are virtualised: a run of thousands of
 * iterations draws only what is on screen.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useMemo, useRef } from "react";
import type { Step } from "../api/api-types.js";
import { formatDuration, keyOf } from "../common/format.js";
import type { Wave } from "./run-model.js";

const ROW = 24;

interface Props {
  readonly steps: Iterable<Step>;
  readonly waves: readonly Wave[];
  readonly start: number;
  readonly end: number;
  readonly selected: string | undefined;
  /** Called with the row's step key (`id`, or `id@i` for a loop iteration). */
  readonly onSelect: (key: string) => void;
}

export const RunTimeline = memo(function RunTimeline({ steps, waves, start, end, selected, onSelect }: Props) {
  // By start; within one millisecond a step before its iterations, iterations in path order.
  const rows = useMemo(() => [...steps].sort((a, b) => (a.startedAt ?? Infinity) - (b.startedAt ?? Infinity) || a.path.length - b.path.length || (a.path[0] ?? 0) - (b.path[0] ?? 0)), [steps]);
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
              <div key={`${w.wave}-${w.startedAt}`} className={`band band-${w.wave % 2}`} style={{ left: `${pct(w.startedAt)}%`, width: `${Math.max(0.3, pct(w.endedAt ?? end) - pct(w.startedAt))}%` }} title={`wave ${w.wave}`} />
            ))}
          </div>
        </div>
        <div style={{ height: list.getTotalSize(), position: "relative" }}>
          {list.getVirtualItems().map((item) => {
            const s = rows[item.index]!;
            const from = s.startedAt ?? end;
            const to = s.endedAt ?? end;
            const retried = s.attempts > 1 && s.durationMs !== undefined ? Math.max(0, s.totalDurationMs - s.durationMs) : 0;
            const width = Math.max(0.4, pct(to) - pct(from));
            const head = to > from ? Math.min(100, (retried / (to - from)) * 100) : 0;
            const key = keyOf(s.stepId, s.path);
            return (
              <div key={key} className={`vrow timeline-row ${selected === key || selected === s.stepId ? "selected" : ""}`} style={{ transform: `translateY(${item.start}px)`, height: ROW }} onClick={() => onSelect(key)} data-step-key={key}>
                <span className="timeline-label mono" title={key}>
                  {s.path.length > 0 ? <span className="muted">{s.stepId}</span> : s.stepId}
                  {s.path.length > 0 && <span> [{s.path.join(".")}]</span>}
                </span>
                <div className="timeline-track">
                  <div className={`bar status-${s.status}`} style={{ left: `${pct(from)}%`, width: `${width}%` }} title={`${key}: ${s.status}, ${s.attempts} attempt(s), ${formatDuration(s.durationMs)}`}>
                    {head > 0 && <span className="bar-retries" style={{ width: `${head}%` }} />}
                  </div>
                  {/* The label goes after the bar, or before it when the bar ends near the right edge. */}
                  <span className="bar-text mono" style={pct(from) + width > 70 ? { right: `calc(${100 - pct(from)}% + 6px)` } : { left: `calc(${pct(from) + width}% + 6px)` }}>
                    {formatDuration(s.durationMs ?? (s.endedAt === undefined ? end - from : undefined))}
                    {s.attempts > 1 ? ` · ${s.attempts} attempts` : ""}
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
