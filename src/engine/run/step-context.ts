/**
 * What a step's code receives. One object per attempt, methods on the prototype (no closures per
 * step); metrics, issues and the vars view are created only when a step touches them.
 */
import type { ControlDecision, DecisionPoint } from "../../control/index.js";
import type { EventInput, RuntrailEvent } from "../../events/index.js";
import type { Decision, ErrorInfo } from "../../events/index.js";
import type { TokenUsage } from "../../events/index.js";
import type { LlmRequest, StepContext, StepTimer, UsageLike, Vars, WaitOptions } from "../define/definition-types.js";
import type { CompiledNode } from "../define/graph-compile.js";
import type { Frame } from "./run-frame.js";
import { CallFailedError, toErrorInfo } from "./run-errors.js";

/** What a step context needs from its run. Implemented by the run executor. */
export interface StepHost {
  readonly runId: string;
  readonly accountId: string;
  readonly signal: AbortSignal;
  readonly varValues: Record<string, unknown>;
  /** Emits an event of this step (the host adds the envelope). Returns the bus's backpressure promise. */
  emitForStep(ctx: StepContextImpl, input: StepEventBody): Promise<void> | undefined;
  /** Asks control at a call-failure decision point. */
  decide(point: DecisionPoint, event: RuntrailEvent, stepId: string, attempt: number, error: ErrorInfo): Promise<ControlDecision>;
  /** Waits `ms`, or less if the run stops. */
  sleep(ms: number): Promise<void>;
  nextCallId(): string;
  /** Waits for a signal for this attempt (see `StepContext.waitFor`). */
  waitFor(ctx: StepContextImpl, name: string, options: WaitOptions<unknown>): Promise<unknown>;
}

/** An event's own fields: the host fills in the envelope (run, workflow, step, attempt, path). */
export type StepEventBody = { type: string; [field: string]: unknown };

function decisionOf(decision: ControlDecision): Decision {
  const handler = decision.handler ?? "unknown";
  const reason = (decision as { readonly reason?: string }).reason;
  return reason === undefined ? { handler } : { handler, reason };
}

function usageOf(value: unknown): TokenUsage | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const raw = (value as { usage?: unknown }).usage as (UsageLike & Record<string, unknown>) | undefined;
  if (raw === null || typeof raw !== "object") return undefined;
  const pick = (...keys: string[]): number | undefined => {
    for (const key of keys) if (typeof raw[key] === "number") return raw[key] as number;
    return undefined;
  };
  const promptTokens = pick("promptTokens", "prompt_tokens", "input_tokens", "inputTokens");
  const completionTokens = pick("completionTokens", "completion_tokens", "output_tokens", "outputTokens");
  let totalTokens = pick("totalTokens", "total_tokens");
  if (totalTokens === undefined && promptTokens !== undefined && completionTokens !== undefined) {
    totalTokens = promptTokens + completionTokens;
  }
  const usage: { -readonly [K in keyof TokenUsage]: TokenUsage[K] } = {};
  if (promptTokens !== undefined) usage.promptTokens = promptTokens;
  if (completionTokens !== undefined) usage.completionTokens = completionTokens;
  if (totalTokens !== undefined) usage.totalTokens = totalTokens;
  return Object.keys(usage).length === 0 ? undefined : usage;
}

const elapsed = (start: number): number => Math.round((performance.now() - start) * 1000) / 1000;

class Timer implements StepTimer {
  private readonly start = performance.now();
  constructor(
    private readonly ctx: StepContextImpl,
    private readonly name: string,
  ) {}
  stop(): number {
    const ms = elapsed(this.start);
    this.ctx.metrics[`${this.name}_ms`] = ms;
    return ms;
  }
}

/** The run's variables as seen from one step, so each change names the step that made it. */
class StepVars implements Vars {
  constructor(private readonly ctx: StepContextImpl) {}
  get<T = unknown>(name: string): T | undefined {
    return this.ctx.host.varValues[name] as T | undefined;
  }
  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.ctx.host.varValues, name);
  }
  set(name: string, value: unknown): void {
    const values = this.ctx.host.varValues;
    const had = this.has(name);
    const old = values[name];
    if (had && Object.is(old, value)) return;
    values[name] = value;
    const variable = had ? { name, old, new: value } : { name, new: value };
    this.ctx.send({ type: "variable.changed", variable });
  }
  snapshot(): Record<string, unknown> {
    return { ...this.ctx.host.varValues };
  }
}

export class StepContextImpl implements StepContext<unknown, Record<string, unknown>> {
  /** Set when the run stopped while this attempt ran: its late result is ignored. */
  abandoned = false;
  /** Per-attempt abort, made only when the attempt has a timeout. */
  controller: AbortController | undefined;
  /** Backpressure from events the step emitted itself; awaited before its completion event. */
  pending: Promise<void> | undefined;
  private metricValues: Record<string, number> | undefined;
  private issueList: string[] | undefined;
  private varsView: StepVars | undefined;
  private waits = 0;

  constructor(
    readonly host: StepHost,
    readonly node: CompiledNode,
    readonly frame: Frame,
    readonly attempt: number,
    readonly input: unknown,
  ) {}

  get stepId(): string {
    return this.node.id;
  }
  get steps(): Record<string, unknown> {
    return this.frame.steps;
  }
  get path(): readonly number[] | undefined {
    return this.frame.path;
  }
  get item(): unknown {
    return this.frame.item;
  }
  get runId(): string {
    return this.host.runId;
  }
  get accountId(): string {
    return this.host.accountId;
  }
  get signal(): AbortSignal {
    return this.controller?.signal ?? this.host.signal;
  }
  get vars(): Vars {
    return (this.varsView ??= new StepVars(this));
  }
  get metrics(): Record<string, number> {
    return (this.metricValues ??= {});
  }
  get issues(): string[] {
    return (this.issueList ??= []);
  }
  /** Metrics if any were set, for the completion event. */
  get metricsIfAny(): Record<string, number> | undefined {
    return this.metricValues !== undefined && Object.keys(this.metricValues).length > 0 ? { ...this.metricValues } : undefined;
  }
  get issuesIfAny(): string[] | undefined {
    return this.issueList !== undefined && this.issueList.length > 0 ? [...this.issueList] : undefined;
  }

  /** The index of this attempt's next `waitFor`, so a resumed attempt finds each wait's signal again. */
  nextWaitIndex(): number {
    return this.waits++;
  }

  waitFor<T = unknown>(name: string, options: WaitOptions<T> = {}): Promise<T> {
    return this.host.waitFor(this, name, options) as Promise<T>;
  }

  timer(name: string): StepTimer {
    return new Timer(this, name);
  }

  emit(type: `x.${string}`, data?: unknown): void {
    if (typeof type !== "string" || !type.startsWith("x.") || type.length < 3) {
      throw new TypeError(`ctx.emit: custom event types start with "x." (got ${JSON.stringify(type)})`);
    }
    this.send(data === undefined ? { type } : { type, data });
  }

  /** Emits and keeps any backpressure promise for the engine to await before step completion. */
  send(body: StepEventBody): void {
    if (this.abandoned) return;
    const wait = this.host.emitForStep(this, body);
    if (wait !== undefined) this.pending = this.pending === undefined ? wait : this.pending.then(() => wait);
  }

  async tool<A, R>(name: string, args: A, fn: (args: A, signal: AbortSignal) => R | Promise<R>): Promise<Awaited<R>> {
    let decision: Decision | undefined;
    for (let attempt = 1; ; attempt++) {
      const tool = { name, callId: this.host.nextCallId() };
      await this.host.emitForStep(this, decision === undefined ? { type: "tool.called", tool, arguments: args } : { type: "tool.called", tool, arguments: args, decision });
      const start = performance.now();
      try {
        const result = await fn(args, this.signal);
        await this.host.emitForStep(this, { type: "tool.completed", tool, result, durationMs: elapsed(start) });
        return result;
      } catch (thrown) {
        const error = toErrorInfo(thrown);
        const failed: StepEventBody = { type: "tool.failed", tool, error, durationMs: elapsed(start) };
        await this.host.emitForStep(this, failed);
        const next = await this.afterCallFailure("tool", name, failed, attempt, error);
        if ("retry" in next) {
          decision = next.retry;
          continue;
        }
        await this.host.emitForStep(this, { type: "tool.completed", tool, result: next.value, durationMs: 0, fallback: next.fallback });
        return next.value as Awaited<R>;
      }
    }
  }

  async llm<R>(request: LlmRequest, fn: (request: LlmRequest, signal: AbortSignal) => R | Promise<R>): Promise<Awaited<R>> {
    let decision: Decision | undefined;
    for (let attempt = 1; ; attempt++) {
      const llm = { callId: this.host.nextCallId(), model: request.model };
      const requested = { type: "llm.requested", llm, prompt: request.prompt };
      await this.host.emitForStep(this, decision === undefined ? requested : { ...requested, decision });
      const start = performance.now();
      try {
        const response = await fn(request, this.signal);
        const usage = usageOf(response);
        const body: StepEventBody = { type: "llm.responded", llm, response, durationMs: elapsed(start) };
        if (usage !== undefined) body.usage = usage;
        await this.host.emitForStep(this, body);
        return response;
      } catch (thrown) {
        const error = toErrorInfo(thrown);
        const failed: StepEventBody = { type: "llm.failed", llm, error, durationMs: elapsed(start) };
        await this.host.emitForStep(this, failed);
        const next = await this.afterCallFailure("llm", request.model, failed, attempt, error);
        if ("retry" in next) {
          decision = next.retry;
          continue;
        }
        await this.host.emitForStep(this, { type: "llm.responded", llm, response: next.value, durationMs: 0, fallback: next.fallback });
        return next.value as Awaited<R>;
      }
    }
  }

  /**
   * Asks control about a failed tool or model call: try again (after the delay, which this waits
   * out) or use a fallback value. FAIL, or no steering at all, throws the call's error.
   */
  private async afterCallFailure(
    kind: "tool" | "llm",
    name: string,
    failed: StepEventBody,
    attempt: number,
    error: ErrorInfo,
  ): Promise<{ readonly retry: Decision } | { readonly fallback: Decision; readonly value: unknown }> {
    const point = kind === "tool" ? "after-tool-failure" : "after-llm-failure";
    const answer = await this.host.decide(point, failed as unknown as RuntrailEvent, this.node.id, attempt, error);
    if (answer.signal === "retry") {
      await this.host.sleep(answer.delayMs);
      return { retry: decisionOf(answer) };
    }
    if (answer.signal === "fallback") return { fallback: decisionOf(answer), value: answer.value };
    const by = answer.signal === "fail" ? decisionOf(answer) : undefined;
    const reported = answer.signal === "fail" ? { ...error, message: `${error.message} (${answer.reason})` } : error;
    throw new CallFailedError(kind, name, reported, by, error.retryable);
  }
}

export { decisionOf };
export type { EventInput };
