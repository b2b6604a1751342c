/**
 * The wire shapes of the server's API (`/api/openapi.json`): runs, steps and event pages. Events
 * are the one `RuntrailEvent` union of the core, statuses the projections' words.
 */
import type { ErrorInfo, RunGraph, RuntrailEvent } from "../../../src/events/index.js";
import type { StepTable } from "../../../src/server/http/api-responses.js";
import type { RunStatus, StepStatus } from "../../../src/projections/index.js";
import type { RunRecord, RunSuspension, StepRecord } from "../../../src/store/index.js";

export type { ErrorInfo, RunGraph, RuntrailEvent, RunStatus, RunSuspension, StepStatus, StepTable };

/** A run as `GET /api/runs` and `GET /api/runs/:id` send it: the store's row. */
export type Run = RunRecord;
/** A step as `GET /api/runs/:id` sends it: the store's row. */
export type Step = StepRecord;

export interface RunsPage {
  readonly runs: readonly Run[];
  readonly next?: string;
}

export interface RunSummary {
  readonly run: Run;
  readonly steps: readonly Step[];
}

/** `GET /api/runs/:id/overview` as sent: the steps as columns (see step-table.ts). */
export interface RunOverviewBody {
  readonly run: Run;
  readonly graph?: RunGraph;
  readonly steps: StepTable;
  /** With `?tail=`: the run's events after seq `after` (its last two pages). */
  readonly tail?: { readonly after: number; readonly events: readonly RuntrailEvent[] };
}

/** A run view's opening read, its steps decoded into rows. */
export interface RunOverview extends RunSummary {
  readonly graph?: RunGraph;
  readonly tail?: RunOverviewBody["tail"];
}

/** `GET /api/runs/:id/steps/:stepId`: one step row and a page of its own events. */
export interface StepDetail {
  readonly step: Step;
  readonly events: readonly RuntrailEvent[];
  readonly next?: number;
}

export interface EventsPage {
  readonly events: readonly RuntrailEvent[];
  readonly next?: number;
}

export interface StepAnalytics {
  readonly durations: readonly { stepId: string; count: number; avgMs: number; p95Ms: number }[];
  readonly failures: readonly { stepId: string; failures: number; runsFailed: number }[];
}

/** `GET /api/runs/:id/controls`: what this token may do to the run on this server now. */
export interface RunControls {
  readonly runId: string;
  readonly status: RunStatus;
  /** Whether this server executes the run. */
  readonly held: boolean;
  readonly readOnly: boolean;
  /** Suspended from outside (resume ends it), not only waiting for a signal. */
  readonly paused: boolean;
  readonly waitingFor: readonly string[];
  /** The row's record of the latest `run.suspended`, while suspended. */
  readonly suspension?: RunSuspension;
  readonly can: { readonly suspend: boolean; readonly resume: boolean; readonly signal: boolean; readonly cancel: boolean };
}
