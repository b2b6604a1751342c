/**
 * The run view's data. A small run opens from its own trail: the state-changing event types read
 * page by page and folded by the core's `projectRun` (exact: outputs, queue times). A big one
 * opens from its overview (the run, its graph and its step rows as a compact table: one request,
 * read beside the view's code), its waves and variables following; both then follow the run's stream after the stored `lastSeq` (none missed or doubled), a
 * batch per animation frame. `onLive` hands the same batches to the event log.
 */
import { useEffect, useRef, useState } from "react";
import { api } from "../api/api-client.js";
import type { EventsPage, RunSummary, RuntrailEvent } from "../api/api-types.js";
import { openLiveStream } from "../api/live-stream.js";
import { readRunOverview } from "../api/step-table.js";
import { PAGE, seedLatest } from "./log-pages.js";
import { takePrefetched } from "./run-prefetch.js";
import { applyEvents, emptyModel, stateFromRows, type RunModel } from "./run-model.js";

/** The event types that move the run model (the rest are the log's). */
export const STATE_TYPES = [
  "run.started", "run.completed", "run.failed", "run.cancelled", "run.suspended", "run.resumed",
  "step.started", "step.running", "step.completed", "step.failed", "step.skipped", "step.retrying",
  "wave.started", "wave.completed", "variable.changed", "progress.updated",
];

/** Up to this many events, a run opens from its trail rather than from the store's rows. */
const FOLD_UP_TO = 3_000;

/** Reads every event of `types` of a run, page by page, handing each page to `take`. */
export async function readTypes(runId: string, types: readonly string[], take: (events: readonly RuntrailEvent[]) => boolean | void, until = Number.MAX_SAFE_INTEGER): Promise<void> {
  let after = 0;
  for (;;) {
    const page = await api<EventsPage>(`/runs/${encodeURIComponent(runId)}/events`, { query: { after, limit: 1000, types } });
    const events = page.events.filter((e) => e.seq <= until);
    if (take(events) === false || page.next === undefined || events.length < page.events.length) return;
    after = page.next;
  }
}

/**
 * What a big run's view adds to its overview, read beside its first render: the top-level waves
 * and the variables, up to the stored `lastSeq` (the graph came with the overview).
 */
async function restOfRows(runId: string, record: RunSummary["run"]): Promise<{ extra: RunModel; variables: Record<string, unknown> }> {
  const variables: Record<string, unknown> = {};
  let extra = emptyModel(record);
  await Promise.all([
    readTypes(runId, ["wave.started", "wave.completed"], (events) => {
      extra = applyEvents(extra, events);
    }, record.lastSeq),
    readTypes(runId, ["variable.changed"], (events) => {
      for (const e of events) if (e.type === "variable.changed") variables[e.variable.name] = e.variable.new;
    }, record.lastSeq),
  ]);
  return { extra, variables };
}

async function fromTrail(runId: string, summary: RunSummary): Promise<RunModel> {
  let model = emptyModel(summary.run);
  await readTypes(runId, STATE_TYPES, (events) => {
    model = applyEvents(model, events);
  }, summary.run.lastSeq);
  return model;
}

export function useRunModel(runId: string, onLive: (events: readonly RuntrailEvent[]) => void) {
  const [model, setModel] = useState<RunModel | undefined>();
  const [error, setError] = useState<string | undefined>();
  const live = useRef(onLive);
  live.current = onLive;
  useEffect(() => {
    let close = (): void => undefined;
    let stopped = false;
    const load = async (): Promise<void> => {
      performance.mark("runtrail:run-summary-start");
      const early = takePrefetched(runId);
      const summary = await (early ?? readRunOverview(runId, PAGE));
      performance.mark("runtrail:run-summary");
      if (early === undefined) seedLatest(runId, summary.run.lastSeq, summary.tail);
      const big = summary.run.eventCount > FOLD_UP_TO;
      const opened = big ? { record: summary.run, state: stateFromRows(summary, {}), waves: [], graph: summary.graph } : await fromTrail(runId, summary);
      performance.mark("runtrail:run-model");
      if (stopped) return;
      setModel(opened);
      if (big) {
        // Stored waves, graph and variables come before any live one: live events already applied stay on top.
        restOfRows(runId, summary.run)
          .then(({ extra, variables }) => {
            if (!stopped) setModel((m) => m && { ...m, waves: [...extra.waves, ...m.waves], state: { ...m.state, variables: { ...variables, ...m.state.variables } } });
          })
          .catch((e: unknown) => !stopped && setError(e instanceof Error ? e.message : String(e)));
      }
      if (summary.run.status === "completed" || summary.run.status === "failed" || summary.run.status === "cancelled") return;
      close = openLiveStream({
        runId,
        after: opened.state.lastSeq,
        onEvents: (events) => {
          setModel((m) => (m === undefined ? m : applyEvents(m, events)));
          live.current(events);
        },
        onError: setError,
      });
    };
    load().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    return () => {
      stopped = true;
      close();
    };
  }, [runId]);
  return { model, error };
}
