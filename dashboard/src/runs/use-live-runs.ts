/**
 * The runs list, kept live: the first page is re-read (at most every 250 ms) whenever the
 * account's stream reports a run event, so a run started anywhere shows within a second, and
 * every second while a run on it is running (its progress); older pages are read on demand by
 * the store's cursor (`next`).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/api-client.js";
import type { Run, RunsPage, RuntrailEvent } from "../api/api-types.js";
import { openLiveStream } from "../api/live-stream.js";

export interface RunsFilter {
  readonly status: readonly string[];
  readonly workflow: string;
}

const PAGE = 50;
const REFRESH_MS = 250;
/** While a shown run is running, its progress is re-read this often (progress events are too many to stream from history). */
const PROGRESS_MS = 1_000;
const RUN_TYPES = ["run.started", "run.completed", "run.failed", "run.cancelled", "run.suspended", "run.resumed"];

/** Whether a run just started (so running) belongs in the list under `filter`. */
function matches(filter: RunsFilter, workflow: string): boolean {
  return (filter.status.length === 0 || filter.status.includes("running")) && (filter.workflow === "" || filter.workflow === workflow);
}

/** The row of a run known only by its run.started event. */
function provisional(e: RuntrailEvent): Run {
  return {
    runId: e.runId, accountId: e.accountId, workflow: e.workflow, status: "running", startedAt: e.ts, lastEventAt: e.ts,
    lastSeq: e.seq, eventCount: 1, stepsCompleted: 0, stepsFailed: 0, stepsSkipped: 0, retries: 0, issueCount: 0,
  };
}

export function useLiveRuns(filter: RunsFilter) {
  const [runs, setRuns] = useState<readonly Run[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const [connected, setConnected] = useState(false);
  const query = { limit: PAGE, status: filter.status.length === 0 ? undefined : filter.status, workflow: filter.workflow === "" ? undefined : filter.workflow };
  const key = JSON.stringify(query);
  const older = useRef<readonly Run[]>([]);

  const refreshFirst = useCallback(async () => {
    const page = await api<RunsPage>("/runs", { query: JSON.parse(key) as typeof query });
    const fresh = new Set(page.runs.map((run) => run.runId));
    // Runs of later pages stay; those now on the first page are taken from it.
    older.current = older.current.filter((run) => !fresh.has(run.runId));
    setRuns([...page.runs, ...older.current]);
    if (older.current.length === 0) setNext(page.next);
    setLoading(false);
  }, [key]);

  useEffect(() => {
    older.current = [];
    setLoading(true);
    refreshFirst().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastRefresh = 0;
    const refresh = (): void => {
      timer = undefined;
      lastRefresh = Date.now();
      refreshFirst().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    };
    const q = JSON.parse(key) as { status?: string[]; workflow?: string };
    const shown: RunsFilter = { status: q.status ?? [], workflow: q.workflow ?? "" };
    const close = openLiveStream({
      // Exact types read the store's type index: the catch-up over history is two events a run.
      types: RUN_TYPES,
      // The first event after a quiet spell re-reads at once; a burst re-reads once per REFRESH_MS.
      onEvents: (events) => {
        // A run that starts now shows at once, from its run.started; the re-read then fills it in.
        const started = events.filter((e) => e.type === "run.started" && matches(shown, e.workflow.name)).map(provisional);
        if (started.length > 0) {
          setRuns((current) => {
            const known = new Set(current.map((run) => run.runId));
            const newest = current[0]?.startedAt ?? 0;
            const fresh = started.filter((run) => !known.has(run.runId) && run.startedAt >= newest).reverse();
            return fresh.length === 0 ? current : [...fresh, ...current];
          });
        }
        timer ??= setTimeout(refresh, Math.max(0, lastRefresh + REFRESH_MS - Date.now()));
      },
      onOpen: () => setConnected(true),
      onError: setError,
    });
    return () => {
      close();
      clearTimeout(timer);
    };
  }, [key, refreshFirst]);

  const anyRunning = runs.some((run) => run.status === "running");
  useEffect(() => {
    if (!anyRunning) return undefined;
    const timer = setInterval(() => void refreshFirst().catch(() => undefined), PROGRESS_MS);
    return () => clearInterval(timer);
  }, [anyRunning, refreshFirst]);

  const loadMore = useCallback(async () => {
    if (next === undefined) return;
    const page = await api<RunsPage>("/runs", { query: { ...(JSON.parse(key) as typeof query), pageToken: next } });
    older.current = [...older.current, ...page.runs];
    setRuns((current) => [...current, ...page.runs]);
    setNext(page.next);
  }, [key, next]);

  return { runs, next, loading, error, loadMore, connected };
}
