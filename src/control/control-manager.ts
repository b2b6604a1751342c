/**
 * The control manager (seed 004's ControlManager, done right): handlers consulted in a stable
 * priority order, the first non-PROCEED answer wins and names its handler, and a failing handler
 * is either fatal (critical) or reported and ignored, never ambiguous.
 */
import type { EventBus } from "../bus/index.js";
import { isThenable } from "../common/index.js";
import type { RuntrailEvent } from "../events/index.js";
import { answerProblem } from "./answer-check.js";
import {
  HandlerTimeoutError,
  InvalidAnswerError,
  messageOf,
  warnControlFailure,
} from "./control-errors.js";
import type { ControlAnswer, ControlContext, ControlDecision, ControlPort, Proceed } from "./control-types.js";
import { HandlerRegistry, mergeByPriority, type HandlerEntry } from "./handler-registry.js";
import type {
  ControlFailure,
  ControlHandler,
  ControlOptions,
  ControlPolicy,
  ControlStats,
  HandlerInfo,
  RegisterOptions,
} from "./handler-types.js";

/**
 * The control manager: what the engine asks at decision points, and where policies are registered.
 *
 * @example
 * const control = createControl();
 * control.use(retryPolicy({ maxAttempts: 3, initialDelayMs: 200 }));
 * control.register((e) => (e.stepId === "deploy" ? { signal: "skip", reason: "frozen" } : undefined), {
 *   name: "change-freeze",
 *   eventTypes: ["step.started"],
 * });
 * const detach = control.attach(bus);
 * const decision = await control.check(event, ctx); // { signal: "skip", reason: "frozen", handler: "change-freeze" }
 */
export interface ControlManager extends ControlPort {
  /**
   * Asks every handler whose filters admit the event, lowest priority first (ties in registration
   * order). The first answer other than PROCEED is returned with `handler` set, and later handlers
   * are not asked. When all proceed, the answer is PROCEED; if any of them proceeded with a
   * `timeoutMs`, the smallest one is returned, with the `handler` that set it (every bound holds,
   * so the tightest is the one that matters).
   */
  check(event: RuntrailEvent, ctx: ControlContext): Promise<ControlDecision>;
  /** Adds a handler; throws {@link DuplicateHandlerError} if the name is taken. Returns a remover. */
  register(handler: ControlHandler, options: RegisterOptions): () => void;
  /** Registers a built-in policy with its suggested options, `overrides` on top. */
  use(policy: ControlPolicy, overrides?: Partial<RegisterOptions>): () => void;
  /** Removes a handler by name; `false` when there was none. A check in progress skips it from now on. */
  unregister(name: string): boolean;
  /** Hands an event to the `onEvent` of every handler that observes it (what `attach` does per event). */
  notify(event: RuntrailEvent): void;
  /** Forwards every event of `bus` to {@link notify}. Returns the detach function. */
  attach(bus: Pick<EventBus, "onEvent">): () => void;
  /**
   * A port that asks this manager's handlers together with `policies` (a workflow's own step
   * retry settings, say) in one priority order, with this manager's timeouts, answer checks, stats
   * and `onDecision`. The policies are not registered here: no other run is asked by them.
   *
   * @example
   * const port = control.scoped([stepRetryPolicy("fetch", { attempts: 3 })]);
   * await port.check(failedFetch, ctx); // { signal: "retry", delayMs: 100, handler: "retry:fetch" }
   */
  scoped(policies: readonly ControlPolicy[]): ControlPort;
  /** The handlers in the order `check` consults them. */
  list(): readonly HandlerInfo[];
  stats(): ControlStats;
}

type ProceedDecision = Proceed & { readonly handler?: string };

const PROCEED: ProceedDecision = Object.freeze({ signal: "proceed" });
const TIMED_OUT: unique symbol = Symbol("timed out");


/** Waits for `promise` up to `ms`; a late settlement is absorbed, so it never becomes unhandled. */
function within<T>(promise: PromiseLike<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(TIMED_OUT), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

class Control implements ControlManager {
  private readonly registry: HandlerRegistry;
  private readonly timeoutMs: number;
  private readonly onError: (failure: ControlFailure) => void;
  private readonly onDecision: ControlOptions["onDecision"];
  private readonly counts = {
    checks: 0,
    handlerErrors: 0,
    handlerTimeouts: 0,
    observerErrors: 0,
  };
  private readonly decisions: Record<ControlAnswer["signal"], number> = {
    proceed: 0,
    skip: 0,
    retry: 0,
    fallback: 0,
    fail: 0,
    suspend: 0,
  };

  constructor(options: ControlOptions) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.registry = new HandlerRegistry(this.timeoutMs);
    this.onError = options.onError ?? warnControlFailure;
    this.onDecision = options.onDecision;
  }

  register(handler: ControlHandler, options: RegisterOptions): () => void {
    const entry = this.registry.add(handler, options);
    return () => {
      if (entry.active) this.registry.remove(entry.name);
    };
  }

  use(policy: ControlPolicy, overrides?: Partial<RegisterOptions>): () => void {
    return this.register(policy.handler, { ...policy.options, ...overrides });
  }

  unregister(name: string): boolean {
    return this.registry.remove(name);
  }

  check(event: RuntrailEvent, ctx: ControlContext): Promise<ControlDecision> {
    return this.checkWith(this.registry.forCheck(event), event, ctx);
  }

  scoped(policies: readonly ControlPolicy[]): ControlPort {
    if (policies.length === 0) return this;
    const own = new HandlerRegistry(this.timeoutMs);
    for (const policy of policies) own.add(policy.handler, policy.options);
    return {
      check: (event, ctx) => {
        const extra = own.forCheck(event);
        const shared = this.registry.forCheck(event);
        return this.checkWith(extra.length === 0 ? shared : mergeByPriority(shared, extra), event, ctx);
      },
    };
  }

  private checkWith(list: readonly HandlerEntry[], event: RuntrailEvent, ctx: ControlContext): Promise<ControlDecision> {
    this.counts.checks++;
    const decision = this.consult(list, 0, event, ctx, undefined);
    return decision instanceof Promise ? decision : Promise.resolve(decision);
  }

  /**
   * Runs handlers from `start` synchronously until one returns a promise; only then does the
   * check become async (and only that handler gets a timer), so sync policies cost no microtasks.
   */
  private consult(
    list: readonly HandlerEntry[],
    start: number,
    event: RuntrailEvent,
    ctx: ControlContext,
    bound: ProceedDecision | undefined,
  ): ControlDecision | Promise<ControlDecision> {
    for (let i = start; i < list.length; i++) {
      const entry = list[i]!;
      if (!entry.active) continue;
      if (entry.steps !== undefined && (event.stepId === undefined || !entry.steps.has(event.stepId))) continue;
      let result: unknown;
      try {
        result = entry.check(event, ctx);
      } catch (error) {
        const fatal = this.failed(entry, "threw", error, event);
        if (fatal !== undefined) return this.finish(fatal, event, ctx);
        continue;
      }
      if (result === undefined) continue;
      if (isThenable(result)) return this.settle(list, i, result, event, ctx, bound);
      const answer = this.interpret(entry, result, event);
      if (answer === undefined) continue;
      if (answer.signal !== "proceed") return this.finish(answer, event, ctx);
      if (bound === undefined || answer.timeoutMs! < bound.timeoutMs!) bound = answer;
    }
    return this.finish(bound ?? PROCEED, event, ctx);
  }

  private async settle(
    list: readonly HandlerEntry[],
    index: number,
    pending: PromiseLike<unknown>,
    event: RuntrailEvent,
    ctx: ControlContext,
    bound: ProceedDecision | undefined,
  ): Promise<ControlDecision> {
    const entry = list[index]!;
    let result: unknown;
    try {
      result = entry.timeoutMs > 0 ? await within(pending, entry.timeoutMs) : await pending;
    } catch (error) {
      const fatal = this.failed(entry, "threw", error, event);
      if (fatal !== undefined) return this.finish(fatal, event, ctx);
      return this.consult(list, index + 1, event, ctx, bound);
    }
    if (result === TIMED_OUT) {
      const fatal = this.failed(entry, "timed-out", new HandlerTimeoutError(entry.name, entry.timeoutMs), event);
      if (fatal !== undefined) return this.finish(fatal, event, ctx);
      return this.consult(list, index + 1, event, ctx, bound);
    }
    const answer = this.interpret(entry, result, event);
    if (answer !== undefined) {
      if (answer.signal !== "proceed") return this.finish(answer, event, ctx);
      if (bound === undefined || answer.timeoutMs! < bound.timeoutMs!) bound = answer;
    }
    return this.consult(list, index + 1, event, ctx, bound);
  }

  /**
   * The decision a result stands for: `undefined` for a plain PROCEED (or an ignored bad answer),
   * a PROCEED carrying `timeoutMs`, or a veto; each named after its handler.
   */
  private interpret(entry: HandlerEntry, result: unknown, event: RuntrailEvent): ControlDecision | undefined {
    let problem = answerProblem(result);
    if (problem === undefined && (result as { signal?: unknown } | undefined)?.signal === "suspend" && event.type !== "step.started") {
      problem = `suspend is answered before a step (step.started), not at ${event.type}`;
    }
    if (problem !== undefined) return this.failed(entry, "invalid-answer", new InvalidAnswerError(entry.name, problem), event);
    if (result === undefined || result === null) return undefined;
    const answer = result as ControlAnswer;
    if (answer.signal === "proceed" && answer.timeoutMs === undefined) return undefined;
    return { ...answer, handler: entry.name };
  }

  /** Reports a failed handler; returns the FAIL decision when it is critical. */
  private failed(
    entry: HandlerEntry,
    kind: ControlFailure["kind"],
    error: unknown,
    event: RuntrailEvent,
  ): ControlDecision | undefined {
    if (kind === "timed-out") this.counts.handlerTimeouts++;
    else this.counts.handlerErrors++;
    this.report({ handler: entry.name, kind, phase: "check", critical: entry.critical, error, event });
    if (!entry.critical) return undefined;
    // Timeouts and invalid answers are our own errors, whose messages already name the handler.
    const reason = kind === "threw" ? `control handler "${entry.name}" threw: ${messageOf(error)}` : (error as Error).message;
    return { signal: "fail", reason, handler: entry.name };
  }

  private finish(decision: ControlDecision, event: RuntrailEvent, ctx: ControlContext): ControlDecision {
    this.decisions[decision.signal]++;
    if (this.onDecision !== undefined && decision.handler !== undefined) {
      try {
        this.onDecision(decision, event, ctx);
      } catch (error) {
        // An audit hook must not change the decision; it is reported like an observer failure.
        this.counts.observerErrors++;
        this.report({ handler: "onDecision", kind: "threw", phase: "observe", critical: false, error, event });
      }
    }
    return decision;
  }

  notify(event: RuntrailEvent): void {
    const list = this.registry.forObserve(event);
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!;
      if (!entry.active) continue;
      if (entry.steps !== undefined && (event.stepId === undefined || !entry.steps.has(event.stepId))) continue;
      try {
        const result: unknown = entry.onEvent!(event);
        if (isThenable(result)) result.then(undefined, (error: unknown) => this.observeFailed(entry, error, event));
      } catch (error) {
        this.observeFailed(entry, error, event);
      }
    }
  }

  attach(bus: Pick<EventBus, "onEvent">): () => void {
    return bus.onEvent((event) => this.notify(event));
  }

  list(): readonly HandlerInfo[] {
    return this.registry.list();
  }

  stats(): ControlStats {
    return { handlers: this.registry.size, ...this.counts, decisions: { ...this.decisions } };
  }

  private observeFailed(entry: HandlerEntry, error: unknown, event: RuntrailEvent): void {
    this.counts.observerErrors++;
    this.report({ handler: entry.name, kind: "threw", phase: "observe", critical: entry.critical, error, event });
  }

  private report(failure: ControlFailure): void {
    try {
      this.onError(failure);
    } catch {
      // A failing error hook must not reach the engine either.
    }
  }
}

/**
 * Creates a control manager. It satisfies the engine's {@link ControlPort}.
 *
 * @example
 * const control = createControl({ onError: (f) => log.warn(f), timeoutMs: 2_000 });
 * control.use(circuitBreakerPolicy({ failureThreshold: 3, cooldownMs: 30_000 }));
 * const decision = await control.check(stepStartedEvent, ctx);
 */
export function createControl(options: ControlOptions = {}): ControlManager {
  return new Control(options);
}
