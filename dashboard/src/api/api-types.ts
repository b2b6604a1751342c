/**
 * The wire shapes of the server's API (`/api/openapi.json`): runs, steps and event pages. Events
 * are the one `RuntrailEvent` union of the core, statuses the projections' words.
 */
import type { Progress, RuntrailEvent } from "../../../src/events/index.js";
import type { RunStatus, StepStatus } from "../../../src/projections/index.js";

export type { RuntrailEvent, RunStatus, StepStatus };

export interface ErrorInfo {
  readonly name?: string;
  readonly message: string;
  readonly stack?: string;
  readonly retryable?: boolean;
}

export interface Run {
  readonly runId: string;
  readonly accountId: string;
  readonly workflow: { readonly name: string; readonly version?: string };
  readonly status: RunStatus;
  readonly parentRunId?: string;
  readonly startedAt: number;
  readonly lastEventAt: number;
  readonly endedAt?: number;
  readonly durationMs?: number;
  readonly lastSeq: number;
  readonly eventCount: number;
  readonly progress?: Progress;
  readonly error?: ErrorInfo;
  readonly stepsCompleted: number;
  readonly stepsFailed: number;
  readonly stepsSkipped: number;
  readonly retries: number;
  readonly issueCount: number;
}

export interface Step {
  readonly runId: string;
  readonly stepId: string;
  readonly path: readonly number[];
  readonly status: StepStatus;
  readonly attempts: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly durationMs?: number;
  readonly totalDurationMs: number;
  readonly failures: number;
  readonly error?: ErrorInfo;
}

export interface RunsPage {
  readonly runs: readonly Run[];
  readonly next?: string;
}

export interface RunSummary {
  readonly run: Run;
  readonly steps: readonly Step[];
}

export interface EventsPage {
  readonly events: readonly RuntrailEvent[];
  readonly next?: number;
}

export interface StepAnalytics {
  readonly durations: readonly { stepId: string; count: number; avgMs: number; p95Ms: number }[];
  readonly failures: readonly { stepId: string; failures: number; runsFailed: number }[];
}
