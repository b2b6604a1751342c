/**
 * The run's event log: virtualised (only the rows on screen are in the DOM), opened at the latest
 * events (or at the event in the URL), paged by seq as it scrolls, filtered by type globs and
 * step, following live events while scrolled to the end, with "jump to latest" when not.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { forwardRef, useEffect, useImperativeHandle, useLayoutEffect, useMemo, useReducer, useRef, useState } from "react";
import type { RuntrailEvent } from "../api/api-types.js";
import { expandTypes, typeMatcher } from "../common/event-types.js";
import { stepKey } from "../../../src/projections/index.js";
import { formatClock, formatProgress } from "../common/format.js";
import { previewValue } from "../common/value-preview.js";
import { filteredRows, seqPages, type LogSource } from "./log-pages.js";

const ROW = 26;

export interface EventLogHandle {
  append(events: readonly RuntrailEvent[]): void;
}

interface Props {
  readonly runId: string;
  readonly lastSeq: number;
  readonly startedAt: number;
  readonly types: readonly string[];
  readonly step: string | undefined;
  readonly selected: number | undefined;
  readonly onSelect: (seq: number) => void;
}

function summary(e: RuntrailEvent): string {
  const any = e as Record<string, unknown>;
  if (any.error !== undefined) return previewValue((any.error as { message?: unknown }).message ?? any.error, 120);
  if (e.type === "variable.changed") return `${e.variable.name} = ${previewValue(e.variable.new, 100)}`;
  if (e.type === "progress.updated") return `${formatProgress(e.progress)}, ${Math.round(e.progress.percent)}%`;
  if (e.type === "condition.evaluated") return `${e.expression} → ${String(e.result)}`;
  if (e.type === "wave.started" || e.type === "wave.completed") return `wave ${e.wave}: ${e.stepIds.join(", ")}`;
  const value = any.output ?? any.input ?? any.arguments ?? any.response ?? any.result;
  const ms = typeof any.durationMs === "number" ? `${Math.round(any.durationMs)} ms  ` : "";
  return ms + (value === undefined ? "" : previewValue(value, 120));
}

export const EventLog = forwardRef<EventLogHandle, Props>(function EventLog({ runId, lastSeq, startedAt, types, step, selected, onSelect }, ref) {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const filterKey = JSON.stringify([types, step ?? null]);
  const source = useMemo<LogSource>(() => {
    if (types.length === 0 && step === undefined) return seqPages(runId, lastSeq, rerender);
    const match = typeMatcher(types);
    return filteredRows(runId, expandTypes(types), (e) => match(e.type) && (step === undefined || e.stepId === step), rerender);
    // The source is made once per run and filter; live growth comes through append.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runId, filterKey]);
  useImperativeHandle(ref, () => ({ append: (events) => source.append(events) }), [source]);
  const scroller = useRef<HTMLDivElement>(null);
  const count = source.count();
  const rows = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 20 });
  const items = rows.getVirtualItems();
  const [following, setFollowing] = useState(selected === undefined);
  const seen = useRef(count);
  const filtered = types.length > 0 || step !== undefined;

  // The row the log opens at: until the list has scrolled there, the rows it renders first (the
  // top) are not read, so opening at the end of a big run reads only the end.
  const aimed = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (items.length === 0) return;
    const first = items[0]!.index;
    const last = items.at(-1)!.index;
    if (aimed.current !== undefined && (aimed.current < first || aimed.current > last)) return;
    aimed.current = undefined;
    source.ensure(first, last);
  });
  // Open at the selected event (a deep link) or at the end.
  useLayoutEffect(() => {
    const target = filtered ? undefined : selected !== undefined ? selected - 1 : count - 1;
    if (target === undefined || target < 0) return;
    aimed.current = target;
    source.ensure(Math.max(0, target - 40), target + 40);
    rows.scrollToIndex(target, { align: selected !== undefined ? "center" : "end" });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source]);
  useEffect(() => {
    if (following && count > seen.current) rows.scrollToIndex(count - 1, { align: "end" });
    if (following) seen.current = count;
  }, [count, following, rows]);

  const onScroll = (): void => {
    const el = scroller.current;
    if (el === null) return;
    aimed.current = undefined;
    const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW * 2;
    if (atEnd !== following) setFollowing(atEnd);
  };
  const fresh = count - seen.current;
  return (
    <div className="log">
      <div className="log-scroll" ref={scroller} onScroll={onScroll} data-testid="event-log">
        <div style={{ height: rows.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const e = source.row(item.index);
            const style = { transform: `translateY(${item.start}px)`, height: ROW };
            if (e === undefined)
              return (
                <div key={item.key} className="vrow log-row placeholder" style={style}>
                  <span className="mono muted">{filtered ? "…" : `#${item.index + 1}`}</span>
                </div>
              );
            return (
              <div
                key={item.key}
                className={`vrow log-row ${selected === e.seq ? "selected" : ""}`}
                style={style}
                data-seq={e.seq}
                onClick={() => onSelect(e.seq)}
              >
                <span className="seq mono">#{e.seq}</span>
                <span className="ts mono muted" title={formatClock(e.ts)}>+{((e.ts - startedAt) / 1000).toFixed(3)}s</span>
                <span className={`etype fam-${e.type.split(".")[0]}`}>{e.type}</span>
                <span className="estep mono">{e.stepId === undefined ? "" : stepKey(e.stepId, e.path)}</span>
                <span className="esum muted">{summary(e)}</span>
              </div>
            );
          })}
        </div>
      </div>
      {!following && !filtered && (
        <button type="button" className="jump" onClick={() => { setFollowing(true); rows.scrollToIndex(count - 1, { align: "end" }); }}>
          Jump to latest{fresh > 0 ? ` · ${fresh} new` : ""}
        </button>
      )}
    </div>
  );
});
