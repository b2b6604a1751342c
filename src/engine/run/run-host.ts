/**
 * What the scheduler, the loops and the step runner need from the run they work for. They depend
 * on this interface and the executor implements it, so the import arrows run one way: executor →
 * scheduler → loops and steps → this file.
 */
import type { EventBus } from "../../bus/index.js";
import type { ControlDecision, DecisionPoint, Suspend } from "../../control/index.js";
import type { ErrorInfo, RuntrailEvent, WorkflowRef } from "../../events/index.js";
import type { ExpressionScope } from "../define/definition-types.js";
import type { CompiledGraph, CompiledNode } from "../define/graph-compile.js";
import type { Frame } from "./run-frame.js";
import type { RunOutcome } from "./run-outcome.js";
import type { Semaphore } from "./run-semaphore.js";
import type { StepContextImpl, StepEventBody, StepHost } from "./step-context.js";

/** The attempt of a parent run's step that started a sub-workflow run. */
export interface ParentStep {
  readonly stepId: string;
  readonly attempt: number;
  /** The step's loop iteration path in the parent run, when it runs inside a loop. */
  readonly path?: readonly number[];
}

/** A workflow as a run needs it: its compiled graph. */
export interface RunnableWorkflow {
  readonly name: string;
  readonly graph: CompiledGraph;
  /** Lets the workflow's own listeners see runs on `bus` (called before each run starts there). */
  watch(bus: EventBus): void;
}

export interface RunHost extends StepHost {
  readonly workflowRef: WorkflowRef;
  /** The workflow's name, for errors. */
  readonly workflowName: string;
  /** Set once the run has ended (or is ending): nothing more may start. */
  readonly stopped: boolean;
  /** Bounds handlers running at once; undefined when unbounded. */
  readonly semaphore: Semaphore | undefined;
  /** Whether a control port was given, so before-step decisions are asked. */
  readonly steered: boolean;
  /**
   * Adds the envelope (run, account, workflow, and the node's step fields, attempt and path where
   * given) to `body` and emits it: the one place a run's events are made.
   */
  emit(body: StepEventBody, node?: CompiledNode, attempt?: number, path?: readonly number[]): Promise<void> | undefined;
  /** Ends the run once with `outcome`. */
  stop(outcome: RunOutcome): void;
  /** Asks control at a decision point; a throwing control stops the run and answers PROCEED. */
  check(point: DecisionPoint, event: RuntrailEvent, node: CompiledNode, attempt: number, error?: ErrorInfo): Promise<ControlDecision>;
  scope(frame: Frame, index?: number): ExpressionScope;
  outputOf(frame: Frame): unknown;
  /** Runs `work` as a parallel branch: while any branch runs, a sibling can stop the run. */
  branch<T>(work: () => Promise<T>): Promise<T>;
  /** Whether something other than the awaited step could stop the run: a signal, a timer, a sibling. */
  stoppableWhileWaiting(): boolean;
  /** Waits for `work`, or less if the run stops. */
  untilSettledOrStopped(work: Promise<unknown>): Promise<void>;
  /** Marks an attempt as running, so a stop from elsewhere can abandon it. */
  track(ctx: StepContextImpl): void;
  untrack(ctx: StepContextImpl): void;
  /**
   * What to await before writing the start `body` (a wave, an attempt, a loop iteration): the
   * suspended run's resume; undefined when it may start now.
   */
  gateFor(body: StepEventBody, node?: CompiledNode, attempt?: number, path?: readonly number[]): Promise<void> | undefined;
  /** Control answered `suspend` before a step: pauses the run and waits until it resumes. */
  suspendFor(decision: Suspend & { readonly handler?: string }): Promise<void>;
  /** A resumed run's finished node: restores its output into the frame; false when it has to run. */
  restored(frame: Frame, node: CompiledNode): boolean;
  /** The attempt a step starts at (for a resumed run, the one the trail had started). */
  firstAttempt(node: CompiledNode, path: readonly number[] | undefined): number;
  /** Starts a sub-workflow run: its own runId and seq, this run and the step attempt that started it as its parent. */
  child(workflow: RunnableWorkflow, input: unknown, signal: AbortSignal, parentStep: ParentStep): Promise<unknown>;
}
