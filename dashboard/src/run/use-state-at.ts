/**
 * Time travel: the run's model at a past seq, replayed from its first event through the same
 * {@link applyEvents} as live updates, reading only the event types that change the model, a
 * page at a time (the page never holds the run's whole trail).
 */
import { useEffect, useState } from "react";
import type { Run } from "../api/api-types.js";
import { emptyModel, applyEvents, type RunModel } from "./run-model.js";
import { readTypes } from "./use-run-model.js";

const STATE_TYPES = [
  "run.started", "run.completed", "run.failed", "run.cancelled", "run.suspended", "run.resumed",
  "step.started", "step.running", "step.completed", "step.failed", "step.skipped", "step.retrying",
  "wave.started", "wave.completed", "variable.changed", "progress.updated",
];

export function useStateAt(run: Run | undefined, at: number | undefined): RunModel | undefined {
  const [model, setModel] = useState<RunModel | undefined>();
  const runId = run?.runId;
  useEffect(() => {
    if (run === undefined || at === undefined) {
      setModel(undefined);
      return undefined;
    }
    let stopped = false;
    // A short wait, so dragging the slider replays once where it stops, not at every pixel.
    const timer = setTimeout(() => {
      let m = emptyModel(run);
      readTypes(run.runId, STATE_TYPES, (events) => {
        if (stopped) return false;
        m = applyEvents(m, events);
        return undefined;
      }, at)
        .then(() => {
          if (!stopped) setModel({ ...m, run: { ...m.run, lastSeq: at } });
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
  return model;
}
