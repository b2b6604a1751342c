/**
 * What a run resumed from its trail knows of its past: the outputs of finished nodes (from their
 * `step.completed` / `step.skipped` events, in loops by iteration path), the variables, progress,
 * the waits still open and those a signal or a timeout already ended. The scheduler runs the graph
 * again from the top: a finished node is restored instead of run, and an event that marks where
 * the run had got to (a wave, a loop iteration, a step's start, a condition, a wait) is not
 * written twice. Nothing here is a second checkpoint: it is all read from the trail.
 *
 * A sub-workflow run is restored with its parent: its id is derived from the parent's (see
 * {@link subRunId}), so the parent's step, re-entered at the same attempt, finds the child's
 * trail among the sub-run trails it was given and goes on with it instead of starting it again.
 */
import { isTerminalRunEvent, type Progress, type RuntrailEvent, type WorkflowRef } from "../../events/index.js";
import { NO_PROGRESS, reduceProgress } from "../../projections/index.js";
import type { ParentStep } from "./run-host.js";
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

/** The stored trails of a run's sub-workflow runs (theirs too), by run id: they are resumed with it. */
export interface SubTrails {
  readonly subTrails?: ReadonlyMap<string, readonly RuntrailEvent[]>;
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

/**
 * The run id of the sub-workflow run that attempt `step.attempt` of `step.stepId` (at its loop
 * path) starts in run `parentRunId`. Derived, not random, so a resumed parent re-entering the
 * step finds its child's stored trail by it. `~` separates the parts: a step id never has one,
 * and it is unreserved in URLs and allowed in NATS subjects.
 *
 * @example
 * subRunId("r1", { stepId: "sub", attempt: 1 }) // "r1~sub~a1"
 * subRunId("r1", { stepId: "sub", attempt: 2, path: [0, 3] }) // "r1~sub~0~3~a2"
 */
export function subRunId(parentRunId: string, step: ParentStep): string {
  const at = step.path === undefined || step.path.length === 0 ? "" : `~${step.path.join("~")}`;
  return `${parentRunId}~${step.stepId}${at}~a${step.attempt}`;
}

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
      const wait = body.wait as (StoredWait & { runId?: string }) | undefined;
      return wait === undefined ? undefined : `${body.type}|${wait.runId ?? ""}|${waitKey(wait.stepId, wait.path, wait.attempt, wait.index)}`;
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
  /** For a sub-workflow run: the parent's step attempt that started it. */
  readonly parentStep: ParentStep | undefined;
  private readonly finals = new Map<string, NodeFinal>();
  private readonly attempts = new Map<string, ParentStep>();
  private readonly marks = new Map<string, number>();
  private readonly outcomes = new Map<string, WaitOutcome>();
  private readonly open = new Map<string, StoredWait>();
  private subs: Map<string, RunRestore> | undefined;

  /**
   * @param subTrails The stored trails of the run's sub-workflow runs (and theirs), by run id:
   * the ones that had not ended are resumed with it, the ended ones give their step its result.
   * @throws Error naming what is wrong when the trail cannot be resumed (empty, ended, no start).
   */
  constructor(
    trail: readonly RuntrailEvent[],
    private readonly subTrails: ReadonlyMap<string, readonly RuntrailEvent[]> = new Map(),
  ) {
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
    const { parentStepId, parentAttempt, parentPath } = first;
    this.parentStep = parentStepId === undefined || parentAttempt === undefined ? undefined : { stepId: parentStepId, attempt: parentAttempt, ...(parentPath === undefined ? {} : { path: parentPath }) };
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
        if (event.stepId !== undefined && event.attempt !== undefined) {
          this.attempts.set(nodeKey(event.stepId, event.path), { stepId: event.stepId, attempt: event.attempt, ...(event.path === undefined ? {} : { path: event.path }) });
        }
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
        // A sub-workflow run's wait (wait.runId) is open in that run's trail, not in this one.
        if (event.wait !== undefined && event.waitingFor !== undefined && event.wait.runId === undefined) {
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
    return this.attempts.get(nodeKey(stepId, path))?.attempt;
  }

  /** The sub-workflow runs this run had started that had not ended, restored, by run id. */
  subRuns(): ReadonlyMap<string, RunRestore> {
    if (this.subs === undefined) {
      this.subs = new Map();
      for (const [runId, trail] of this.subTrails) {
        if (trail[0]?.parentRunId !== this.runId || this.subEnded(runId) !== undefined) continue;
        this.subs.set(runId, new RunRestore(trail, this.subTrails));
      }
    }
    return this.subs;
  }

  /** The terminal event of a sub-workflow run of this run that had ended, if it had. */
  subEnded(runId: string): RuntrailEvent | undefined {
    const last = this.subTrails.get(runId)?.at(-1);
    return last !== undefined && isTerminalRunEvent(last.type) ? last : undefined;
  }

  /** The waits open at the trail's end in this run's sub-workflow runs, theirs included. */
  subWaits(): StoredWait[] {
    const waits: StoredWait[] = [];
    for (const sub of this.subRuns().values()) waits.push(...sub.openWaits().values(), ...sub.subWaits());
    return waits;
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
