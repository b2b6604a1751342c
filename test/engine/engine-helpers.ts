/** Helpers shared by the engine tests. */
import { createBus, type EventBus, type RuntrailEvent } from "runtrail";

/** A bus and every event it delivered, in delivery order. */
export function recordingBus(): { bus: EventBus; events: RuntrailEvent[] } {
  const bus = createBus();
  const events: RuntrailEvent[] = [];
  bus.onEvent((event) => events.push(event));
  return { bus, events };
}

/** `[type, stepId]` pairs (stepId omitted when absent), the shape sequence assertions compare. */
export function trail(events: readonly RuntrailEvent[], runId?: string): (string | undefined)[][] {
  return events
    .filter((e) => runId === undefined || e.runId === runId)
    .map((e) => (e.stepId === undefined ? [e.type] : [e.type, e.stepId]));
}

/** Same as {@link trail}, without progress.updated (tested on its own). */
export function steps(events: readonly RuntrailEvent[], runId?: string): (string | undefined)[][] {
  return trail(events.filter((e) => e.type !== "progress.updated"), runId);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Asserts seq is 1..n with no gap, per run. */
export function seqsByRun(events: readonly RuntrailEvent[]): Map<string, number[]> {
  const byRun = new Map<string, number[]>();
  for (const e of events) {
    const list = byRun.get(e.runId) ?? [];
    list.push(e.seq);
    byRun.set(e.runId, list);
  }
  return byRun;
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
