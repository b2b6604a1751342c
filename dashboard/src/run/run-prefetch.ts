/**
 * A deep link to a run starts reading the run's overview at once, beside the sign-in check and the
 * view's code, instead of after both: the longest wait of opening a big run overlaps the rest.
 * index.html's own script (dashboard/deep-link-preload.ts) already sent the request, before the
 * app's code had even arrived; this takes its response. This file is imported by the app shell,
 * so it stays tiny (no view code: log-pages.ts is plain data).
 */
import { readResponse } from "../api/api-client.js";
import type { RunOverview, RunOverviewBody } from "../api/api-types.js";
import { decodeOverview, readRunOverview } from "../api/step-table.js";

declare global {
  interface Window {
    /** The overview request index.html sent for a deep link (`runId` decoded), taken once. */
    __runtrailEarly?: { readonly runId: string; readonly response: Promise<Response> };
  }
}

/** The overview of `runId`: the response index.html's script asked for, else a request of its own. */
function overviewOf(runId: string): Promise<RunOverview> {
  const sent = window.__runtrailEarly;
  window.__runtrailEarly = undefined;
  if (sent?.runId !== runId) return readRunOverview(runId, PAGE);
  return sent.response.then((response) => readResponse<RunOverviewBody>(response)).then(decodeOverview);
}
import { PAGE, seedLatest } from "./log-pages.js";

let early: { runId: string; summary: Promise<RunOverview> } | undefined;

/** Starts reading `runId`'s overview (the run view takes it with {@link takePrefetched}). */
export function prefetchRun(runId: string): void {
  const summary = overviewOf(runId);
  // The log opens at the end: its pages are read as soon as the run's last seq is known.
  summary.then((s) => seedLatest(runId, s.run.lastSeq, s.tail), () => undefined);
  // A refusal here is met again (and shown) by the view's own read.
  summary.catch(() => undefined);
  early = { runId, summary };
}

/** The record read early for `runId`, once; undefined when none was. */
export function takePrefetched(runId: string): Promise<RunOverview> | undefined {
  if (early?.runId !== runId) return undefined;
  const { summary } = early;
  early = undefined;
  return summary;
}

/** The record read early for `runId`, left for the view to take. */
export function peekPrefetched(runId: string): Promise<RunOverview> | undefined {
  return early?.runId === runId ? early.summary : undefined;
}
