/**
 * The run view's data: the run and its steps from the store, its waves, then live events from the
 * run's stream (after the stored `lastSeq`, so none is missed or doubled) applied per animation
 * frame. `onLive` hands the same batches to the event log.
 */
import { useEffect, useRef, useState } from "react";
import { api } from "../api/api-client.js";
import type { EventsPage, RunSummary, RuntrailEvent } from "../api/api-types.js";
import { openLiveStream } from "../api/live-stream.js";
import { keyOf } from "../common/format.js";
import { applyEvents, type RunModel, type Wave } from "./run-model.js";

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

async function loadWaves(runId: string): Promise<Wave[]> {
  const waves: Wave[] = [];
  await readTypes(runId, ["wave.started", "wave.completed"], (events) => {
    for (const e of events) {
      if (e.type === "wave.started") waves.push({ wave: e.wave, stepIds: e.stepIds, startedAt: e.ts });
      else if (e.type === "wave.completed") {
        const i = waves.findIndex((w) => w.wave === e.wave && w.endedAt === undefined);
        if (i >= 0) waves[i] = { ...waves[i]!, endedAt: e.ts };
      }
    }
  });
  return waves;
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
      const path = `/runs/${encodeURIComponent(runId)}`;
      const variables: Record<string, unknown> = {};
      const [summary, waves] = await Promise.all([
        api<RunSummary>(path),
        loadWaves(runId),
        readTypes(runId, ["variable.changed"], (events) => {
          for (const e of events) if (e.type === "variable.changed") variables[e.variable.name] = e.variable.new;
        }),
      ]);
      if (stopped) return;
      const steps = new Map(summary.steps.map((s) => [keyOf(s.stepId, s.path), s]));
      const stored = summary.run.lastSeq;
      setModel({ run: summary.run, steps, waves, variables });
      if (summary.run.status === "completed" || summary.run.status === "failed" || summary.run.status === "cancelled") return;
      close = openLiveStream({
        runId,
        after: stored,
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
