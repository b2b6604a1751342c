/**
 * `instrument`: the step trail for code that runs its own steps outside the engine (seed 003's
 * `skill_execution`): step.started, then step.completed with duration, metrics and issues, or
 * step.failed with the error and whatever metrics and issues were recorded before it.
 */
import type { EventBus } from "../../bus/index.js";
import type { EventInput } from "../../events/index.js";
import type { StepTimer } from "../define/definition-types.js";
import { toErrorInfo } from "./run-errors.js";

/**
 * Where the events go and what they are about.
 * @example
 * { bus, runId, workflow: { name: "amcs", version: "2" }, stepId: "LYRICS", accountId: "acme" }
 */
export interface InstrumentOptions {
  readonly bus: EventBus;
  readonly runId: string;
  readonly stepId: string;
  /** A workflow name, or name and version. */
  readonly workflow: string | { readonly name: string; readonly version?: string };
  readonly accountId?: string;
  readonly attempt?: number;
  readonly tag?: string;
  /** `false` runs the code without events (seed 003's `emit_events=False`, for internal tests). */
  readonly enabled?: boolean;
}

/**
 * What the instrumented code records: numeric metrics, warnings, sub-task timers.
 * @example
 * state.metrics.lines = 42; state.issues.push("short"); state.timer("merge").stop();
 */
export interface InstrumentState {
  readonly metrics: Record<string, number>;
  readonly issues: string[];
  /** `stop()` adds `<name>_ms` to metrics. */
  timer(name: string): StepTimer;
}

/**
 * Runs `fn` as one step of run `runId`, emitting its start and its end or failure. Rethrows
 * what `fn` throws, after `step.failed`.
 *
 * @example
 * const lyrics = await instrument({ bus, runId, workflow: "amcs", stepId: "LYRICS" }, async (state) => {
 *   const t = state.timer("generation");
 *   const result = await generateLyrics(spec);
 *   t.stop();
 *   state.metrics.lines_generated = result.lines.length;
 *   if (result.lines.length < 10) state.issues.push("Warning: short lyrics");
 *   return result;
 * });
 */
export async function instrument<T>(options: InstrumentOptions, fn: (state: InstrumentState) => T | Promise<T>): Promise<T> {
  const metrics: Record<string, number> = {};
  const issues: string[] = [];
  const state: InstrumentState = {
    metrics,
    issues,
    timer(name) {
      const start = performance.now();
      return {
        stop() {
          const ms = Math.round((performance.now() - start) * 1000) / 1000;
          metrics[`${name}_ms`] = ms;
          return ms;
        },
      };
    },
  };
  if (options.enabled === false) return fn(state);
  const envelope = {
    runId: options.runId,
    stepId: options.stepId,
    workflow: typeof options.workflow === "string" ? { name: options.workflow } : options.workflow,
    attempt: options.attempt ?? 1,
    ...(options.accountId === undefined ? {} : { accountId: options.accountId }),
    ...(options.tag === undefined ? {} : { tag: options.tag }),
  };
  const emit = async (event: EventInput): Promise<void> => {
    const wait = options.bus.emit(event);
    if (wait !== undefined) await wait;
  };
  const report = (): { metrics?: Record<string, number>; issues?: string[] } => ({
    ...(Object.keys(metrics).length > 0 ? { metrics: { ...metrics } } : {}),
    ...(issues.length > 0 ? { issues: [...issues] } : {}),
  });
  await emit({ type: "step.started", ...envelope });
  const start = performance.now();
  try {
    const result = await fn(state);
    const durationMs = Math.round((performance.now() - start) * 1000) / 1000;
    await emit({ type: "step.completed", ...envelope, durationMs, output: result, ...report() });
    return result;
  } catch (error) {
    const durationMs = Math.round((performance.now() - start) * 1000) / 1000;
    await emit({ type: "step.failed", ...envelope, durationMs, error: toErrorInfo(error), ...report() });
    throw error;
  }
}
