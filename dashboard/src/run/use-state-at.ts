/**
 * Time travel: the run's model at a past seq, replayed from its first event through the same
 * {@link applyEvents} (the core's fold) as live updates, reading only the event types that change
 * the model, a page at a time (the page never holds the run's whole trail).
 */
import { useEffect, useState } from "react";
import type { Run } from "../api/api-types.js";
import { applyEvents, emptyModel, type RunModel } from "./run-model.js";
import { readTypes, STATE_TYPES } from "./use-run-model.js";

export function useStateAt(record: Run | undefined, at: number | undefined): RunModel | undefined {
  // Kept with the seq it was replayed to: a replay for another seq is never shown as this one's.
  const [replayed, setReplayed] = useState<{ at: number; model: RunModel } | undefined>();
  const runId = record?.runId;
  useEffect(() => {
    if (record === undefined || at === undefined) {
      setReplayed(undefined);
      return undefined;
    }
    let stopped = false;
    // A short wait, so dragging the slider replays once where it stops, not at every pixel.
    const timer = setTimeout(() => {
      let m = emptyModel(record);
      readTypes(record.runId, STATE_TYPES, (events) => {
        if (stopped) return false;
        m = applyEvents(m, events);
        return undefined;
      }, at)
        .then(() => {
          if (!stopped) setReplayed({ at, model: m });
        })
        .catch(() => undefined);
    }, 120);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // The run's identity, not each live update, decides the replay.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runId, at]);
  return replayed !== undefined && replayed.at === at ? replayed.model : undefined;
}
