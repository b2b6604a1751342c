/**
 * What a run resumed from its trail knows of its past: the outputs of finished nodes (from their
 * `step.completed` / `step.skipped` events, in loops by iteration path), the variables, progress,
 * the waits still open and those a signal or a timeout already ended. The scheduler runs the graph
 * again from the top: a finished node is restored instead of run, and an event that marks where
 * the run had got to (a wave, a loop iteration, a step's start, a condition, a wait) is not
 * written twice. Nothing here is a second checkpoint: it is all read from the trail.
 */
import { isTerminalRunEvent, type Progress, type RuntrailEvent, type WorkflowRef } from "../../events/index.js";
import { NO_PROGRESS, reduceProgress } from "../../projections/index.js";
import type { StepEventBody } from "./step-context.js";

/** The fields (JSON pointers, by event type) a restore reads: outputs, the input, variables, payloads, waits. */
const RESTORED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  "run.started": ["/input"],
  "step.completed": ["/output"],
  "step.skipped": ["/output"],
  "variable.changed": ["/variable"],
  "signal.received": ["/payload"],
  "run.suspended": ["/wait"],
};

/**
 * Whether a field stored truncated at `pointer` in an event of `type` is one the restore needs.
 * Others may be cut and the run still resumes: a big workflow's `run.started` graph (drawn by
 * viewers, never read back), a step's start input (evaluated again), tool and LLM payloads.
 */
export function restoreNeeds(type: string, pointer: string): boolean {
  const fields = RESTORED_FIELDS[type];
  return fields !== undefined && fields.some((field) => pointer === field || pointer.startsWith(`${field}/`));
}

/** A wait as `run.suspended` stored it. */
export interface StoredWait {
  readonly name: string;
  readonly stepId: string;
  readonly attempt: number;
  readonly path?: readonly number[];
  readonly index: number;
  readonly timeoutMs?: number;
  readonly deadline?: number;
  readonly onTimeout: "fail" | "resume";
  readonly schema?: unknown;
}

/** How a wait ended: a signal's payload, or its timeout. */
export type WaitOutcome = { readonly kind: "signal"; readonly payload: unknown } | { readonly kind: "timeout" };

/** A finished node: with an output (completed, or skipped by control) or skipped without one. */
export type NodeFinal = { readonly kind: "done"; readonly output: unknown } | { readonly kind: "skipped" };

const pathText = (path: readonly number[] | undefined): string => (path === undefined ? "" : path.join("."));

/** Where a node sits: its id and loop path. */
export function nodeKey(stepId: string, path: readonly number[] | undefined): string {
  return `${stepId}@${pathText(path)}`;
}

/** Which wait of which attempt: a resumed step's n-th `waitFor` finds its own signal by it. */
export function waitKey(stepId: string, path: readonly number[] | undefined, attempt: number, index: number): string {
  return `${nodeKey(stepId, path)}#${attempt}.${index}`;
}

type Body = StepEventBody & { stepId?: string; attempt?: number; path?: readonly number[] };

/** The key of an event that marks the run's progress through its graph; undefined for others. */
function markOf(body: Body): string | undefined {
  const at = pathText(body.path);
  switch (body.type) {
    case "wave.started":
    case "wave.completed":
      return `${body.type}|${at}|${String(body.wave)}`;
    case "step.started":
      return `${body.type}|${body.stepId}|${at}|${String(body.attempt)}`;
    case "loop.started":
    case "loop.iteration":
      return `${body.type}|${String(body.loopId)}|${at}`;
    case "condition.evaluated": {
      const index = (body.scope as { index?: number } | undefined)?.index;
      return `${body.type}|${String(body.conditionId)}|${String(body.kind)}|${at}|${index ?? ""}`;
    }
    case "run.suspended": {
      const wait = body.wait as StoredWait | undefined;
      return wait === undefined ? undefined : `${body.type}|${waitKey(wait.stepId, wait.path, wait.attempt, wait.index)}`;
    }
    default:
      return undefined;
  }
}

export class RunRestore {
  readonly runId: string;
  readonly accountId: string;
  readonly workflow: WorkflowRef;
  readonly parentRunId: string | undefined;
  readonly traceId: string | undefined;
  readonly input: unknown;
  /** ts of `run.started`, for the terminal event's duration. */
  readonly startedTs: number;
  readonly lastSeq: number;
  readonly vars: Record<string, unknown> = {};
  readonly progress: Progress;
  /** Whether the trail ends paused (suspended from outside, not by a wait). */
  readonly paused: boolean;
  private readonly finals = new Map<string, NodeFinal>();
  private readonly attempts = new Map<string, number>();
  private readonly marks = new Map<string, number>();
  private readonly outcomes = new Map<string, WaitOutcome>();
  private readonly open = new Map<string, StoredWait>();

  /** @throws Error naming what is wrong when the trail cannot be resumed (empty, ended, no start). */
  constructor(trail: readonly RuntrailEvent[]) {
    const first = trail[0];
    if (first === undefined) throw new Error("its trail is empty");
    if (first.type !== "run.started" || first.seq !== 1) throw new Error(`its trail starts with ${first.type} at seq ${first.seq}, not run.started at seq 1`);
    this.runId = first.runId;
    this.accountId = first.accountId;
    this.workflow = first.workflow;
    this.parentRunId = first.parentRunId;
    this.traceId = first.traceId;
    this.input = first.input;
    this.startedTs = first.ts;
    let progress = NO_PROGRESS;
    let paused = false;
    let seq = 0;
    for (const event of trail) {
      if (event.seq !== seq + 1) throw new Error(`its trail has a gap: seq ${event.seq} follows ${seq}`);
      seq = event.seq;
      if (isTerminalRunEvent(event.type)) throw new Error(`it has ended (${event.type} at seq ${event.seq})`);
      progress = reduceProgress(progress, event);
      this.read(event);
      if (event.type === "run.suspended" && event.wait === undefined) paused = true;
      else if (event.type === "run.resumed" && event.signal === undefined) paused = false;
    }
    this.lastSeq = seq;
    this.progress = progress;
    this.paused = paused;
  }

  private read(event: RuntrailEvent): void {
    const mark = markOf(event as unknown as Body);
    if (mark !== undefined) this.marks.set(mark, (this.marks.get(mark) ?? 0) + 1);
    switch (event.type) {
      case "step.started":
        if (event.stepId !== undefined && event.attempt !== undefined) this.attempts.set(nodeKey(event.stepId, event.path), event.attempt);
        return;
      case "step.completed":
        if (event.stepId !== undefined) this.finals.set(nodeKey(event.stepId, event.path), { kind: "done", output: event.output });
        return;
      case "step.skipped":
        // Skipped by control, the step has its value (DONE); by a condition or a branch, none.
        if (event.stepId !== undefined) this.finals.set(nodeKey(event.stepId, event.path), event.decision === undefined ? { kind: "skipped" } : { kind: "done", output: event.output });
        return;
      case "variable.changed":
        this.vars[event.variable.name] = event.variable.new;
        return;
      case "run.suspended":
        if (event.wait !== undefined && event.waitingFor !== undefined) {
          const { wait } = event;
          this.open.set(waitKey(wait.stepId, wait.path, wait.attempt, wait.index), { ...wait, name: event.waitingFor, onTimeout: wait.onTimeout ?? "fail" });
        }
        return;
      case "signal.received":
      case "signal.timeout": {
        if (event.stepId === undefined || event.attempt === undefined || event.index === undefined) return;
        const key = waitKey(event.stepId, event.path, event.attempt, event.index);
        this.open.delete(key);
        this.outcomes.set(key, event.type === "signal.received" ? { kind: "signal", payload: event.payload } : { kind: "timeout" });
        return;
      }
      default:
        return;
    }
  }

  /** How the node at `path` finished, if it did. */
  final(stepId: string, path: readonly number[] | undefined): NodeFinal | undefined {
    return this.finals.get(nodeKey(stepId, path));
  }

  /** The attempt a step had started when the trail ends (it runs again from there), if any. */
  attemptOf(stepId: string, path: readonly number[] | undefined): number | undefined {
    return this.attempts.get(nodeKey(stepId, path));
  }

  /** Whether `body` (its envelope filled in) was already written; if so, counts it as seen. */
  replay(body: StepEventBody): boolean {
    const mark = markOf(body as Body);
    if (mark === undefined) return false;
    const left = this.marks.get(mark);
    if (left === undefined) return false;
    if (left <= 1) this.marks.delete(mark);
    else this.marks.set(mark, left - 1);
    return true;
  }

  /** Whether `body` was already written, without counting it. */
  written(body: StepEventBody): boolean {
    const mark = markOf(body as Body);
    return mark !== undefined && this.marks.has(mark);
  }

  /** How a wait ended before the trail's end, if it did. */
  outcome(key: string): WaitOutcome | undefined {
    return this.outcomes.get(key);
  }

  /** The waits still open at the trail's end, by wait key. */
  openWaits(): ReadonlyMap<string, StoredWait> {
    return this.open;
  }
}
