/**
 * The sub-workflow runs a run started (`GET /api/runs/:id/children`), by the parent step that
 * started each: the graph links a sub-workflow node to its child run. Read only for a run whose
 * graph has sub-workflow steps, and again when `version` changes (another of them started).
 */
import { useEffect, useState } from "react";
import { api } from "../api/api-client.js";
import type { RunsPage } from "../api/api-types.js";

/** Step id → the child runs it started, newest first (a step in a loop starts one per iteration). */
export type ChildRuns = Readonly<Record<string, readonly string[]>>;

const NONE: ChildRuns = {};

export function useChildRuns(runId: string, enabled: boolean, version: string): ChildRuns {
  const [children, setChildren] = useState<ChildRuns>(NONE);
  useEffect(() => {
    if (!enabled) return undefined;
    let stopped = false;
    api<RunsPage>(`/runs/${encodeURIComponent(runId)}/children`, { query: { limit: 1_000 } })
      .then((page) => {
        if (stopped) return;
        const byStep: Record<string, string[]> = {};
        for (const run of page.runs) if (run.parentStepId !== undefined) (byStep[run.parentStepId] ??= []).push(run.runId);
        setChildren(byStep);
      })
      .catch(() => undefined);
    return () => {
      stopped = true;
    };
  }, [runId, enabled, version]);
  return children;
}
