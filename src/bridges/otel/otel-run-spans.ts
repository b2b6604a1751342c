/**
 * The open spans of one run, keyed by where they are in the run (loop path, step, attempt, wave,
 * call), and the rule for each one's parent: attempt → step → wave → loop iteration → run.
 */
import type { Span } from "@opentelemetry/api";
import type { ErrorInfo } from "../../events/index.js";
import { failSpan } from "./otel-attributes.js";

/** A step's span, its attempts, and how it ended so far (a failed attempt may be retried). */
export interface StepSpans {
  readonly span: Span;
  attempt: Span | undefined;
  attemptNumber: number;
  /** The ts of its last attempt's end: where the step span ends if the run ends first. */
  lastTs: number;
  /** The last attempt's error while no retry was announced: the step failed, if the run ends now. */
  failed: ErrorInfo | undefined;
}

const pathKey = (path: readonly number[] | undefined): string => (path === undefined ? "" : path.join("."));

export class RunSpans {
  readonly steps = new Map<string, StepSpans>();
  readonly waves = new Map<string, Span>();
  /** The wave each step (at a path) was scheduled in. */
  readonly waveOfStep = new Map<string, Span>();
  readonly loops = new Map<string, Span>();
  readonly iterations = new Map<string, { span: Span; lastTs: number; loop: string }>();
  readonly calls = new Map<string, Span>();
  lastTs: number;

  constructor(
    readonly run: Span,
    startTs: number,
  ) {
    this.lastTs = startTs;
  }

  static stepKey(path: readonly number[] | undefined, stepId: string): string {
    return `${pathKey(path)}|${stepId}`;
  }

  static waveKey(path: readonly number[] | undefined, wave: number): string {
    return `${pathKey(path)}|#${wave}`;
  }

  static loopKey(path: readonly number[] | undefined, loopId: string): string {
    return `${pathKey(path)}|${loopId}`;
  }

  /** The span a wave or step at `path` belongs under when no wave names it: its iteration, or the run. */
  container(path: readonly number[] | undefined): Span {
    if (path === undefined || path.length === 0) return this.run;
    return this.iterations.get(pathKey(path))?.span ?? this.run;
  }

  /** Records activity inside the iterations enclosing `path`, so each ends at its last event. */
  touch(path: readonly number[] | undefined, ts: number): void {
    this.lastTs = Math.max(this.lastTs, ts);
    if (path === undefined) return;
    for (let depth = 1; depth <= path.length; depth++) {
      const iteration = this.iterations.get(path.slice(0, depth).join("."));
      if (iteration !== undefined) iteration.lastTs = Math.max(iteration.lastTs, ts);
    }
  }

  /** The span a step's own work (an attempt) belongs under. */
  stepParent(path: readonly number[] | undefined, stepId: string): Span {
    return this.waveOfStep.get(RunSpans.stepKey(path, stepId)) ?? this.container(path);
  }

  /** The current attempt of a step, or the step, or the container: where its calls and loops go. */
  workOf(path: readonly number[] | undefined, stepId: string | undefined): Span {
    if (stepId === undefined) return this.container(path);
    const step = this.steps.get(RunSpans.stepKey(path, stepId)) ?? this.steps.get(RunSpans.stepKey(path?.slice(0, -1), stepId));
    return step?.attempt ?? step?.span ?? this.container(path);
  }

  addStep(key: string, step: StepSpans): void {
    this.steps.set(key, step);
  }

  /**
   * The span of one attempt of a step at a loop path, while it runs: where the sub-workflow run
   * it started belongs. The step's span when that attempt has ended (a timed-out attempt's child
   * run may start late), `undefined` when the step is not open.
   */
  attemptOf(path: readonly number[] | undefined, stepId: string, attempt: number | undefined): Span | undefined {
    const step = this.steps.get(RunSpans.stepKey(path, stepId));
    if (step === undefined) return undefined;
    return step.attempt !== undefined && (attempt === undefined || step.attemptNumber === attempt) ? step.attempt : step.span;
  }

  /** Ends the iterations of one loop, each at its last event. */
  endIterations(loop: string): void {
    for (const [key, iteration] of this.iterations) {
      if (iteration.loop !== loop) continue;
      iteration.span.end(iteration.lastTs);
      this.iterations.delete(key);
    }
  }

  forgetStep(key: string): void {
    this.steps.delete(key);
  }

  /** Ends every span still open (calls, attempts, steps, iterations, loops, waves), innermost first. */
  endAll(ts: number, mark?: string): void {
    const end = (span: Span, at: number): void => {
      if (mark !== undefined) span.setAttribute(mark, true);
      span.end(at);
    };
    for (const span of this.calls.values()) end(span, ts);
    for (const step of this.steps.values()) {
      if (step.attempt !== undefined) end(step.attempt, ts);
      if (step.failed !== undefined) failSpan(step.span, step.failed, step.lastTs);
      end(step.span, step.attempt === undefined ? step.lastTs : ts);
    }
    for (const iteration of this.iterations.values()) end(iteration.span, mark === undefined ? iteration.lastTs : ts);
    for (const span of this.loops.values()) end(span, ts);
    for (const span of this.waves.values()) end(span, ts);
    this.calls.clear();
    this.steps.clear();
    this.iterations.clear();
    this.loops.clear();
    this.waves.clear();
    this.waveOfStep.clear();
  }
}
