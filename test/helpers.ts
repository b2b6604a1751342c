/** Small builders shared by the tests. */
import type { EventInput } from "runtrail";

export const wf = { name: "test-wf" };

/** A fresh `step.started` input for run `runId` (the bus stamps it, so every call must be new). */
export function stepStarted(runId: string, stepId = "s", accountId?: string): EventInput {
  return { type: "step.started", runId, workflow: wf, stepId, ...(accountId ? { accountId } : {}) };
}

export function runStarted(runId: string, accountId?: string): EventInput {
  return { type: "run.started", runId, workflow: wf, ...(accountId ? { accountId } : {}) };
}

export function runCompleted(runId: string): EventInput {
  return { type: "run.completed", runId, workflow: wf, durationMs: 1 };
}

/** Resolves after the current macrotask, so queued microtasks and observers have run. */
export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
