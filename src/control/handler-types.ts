/**
 * What a control handler is, how it is registered, and what the manager reports about it.
 */
import type { TypePattern } from "../bus/index.js";
import type { RuntrailEvent } from "../events/index.js";
import type { ControlAnswer, ControlContext, ControlDecision } from "./control-types.js";

/** What a handler may return: an answer, or nothing for PROCEED; sync or async. */
export type HandlerResult = ControlAnswer | void | undefined;

/**
 * A handler as a plain function. Return nothing (or `{ signal: "proceed" }`) to let the run go on.
 *
 * @example
 * const noWeekend: ControlHandlerFn = (event) =>
 *   event.stepId === "deploy" && isWeekend() ? { signal: "skip", reason: "no deploys on weekends" } : undefined;
 */
export type ControlHandlerFn = (event: RuntrailEvent, ctx: ControlContext) => HandlerResult | Promise<HandlerResult>;

/**
 * A handler with state: `check` answers at decision points; `onEvent`, when present, observes
 * every event the manager is told about (through `attach(bus)` or `notify`), so a policy can learn
 * outcomes that are not decision points, such as `step.completed` closing a half-open circuit.
 *
 * @example
 * const counter: ControlHandlerObject = {
 *   observes: ["step.completed"],
 *   check: () => undefined,
 *   onEvent: (event) => void done.add(event.stepId),
 * };
 */
export interface ControlHandlerObject {
  check(event: RuntrailEvent, ctx: ControlContext): HandlerResult | Promise<HandlerResult>;
  onEvent?(event: RuntrailEvent): void;
  /** The event types `onEvent` wants (exact or globs). Default: every event. */
  readonly observes?: readonly TypePattern[];
}

/** A function or an object with `check`. */
export type ControlHandler = ControlHandlerFn | ControlHandlerObject;

/**
 * How a handler is registered.
 *
 * @example
 * control.register(authorize, { name: "authorize", priority: 5, eventTypes: ["run.started"], critical: true });
 */
export interface RegisterOptions {
  /** Unique among the manager's handlers; every decision names it. */
  name: string;
  /** Lower is consulted first; equal priorities keep registration order. Default 100. */
  priority?: number;
  /** The event types `check` is asked about (exact or globs like `"step.*"`). Default: all; `[]`: none. */
  eventTypes?: readonly TypePattern[];
  /** Only events of these steps (by `stepId`) reach the handler, for `check` and `onEvent`. Default: all. */
  steps?: readonly string[];
  /** A critical handler that throws, times out or answers nonsense fails the run; others count as PROCEED. */
  critical?: boolean;
  /** How long an async answer may take. Default: the manager's `timeoutMs`. `0` or `Infinity`: no limit. */
  timeoutMs?: number;
}

/**
 * A built-in policy: its handler and the registration it suggests. Pass it to `control.use`.
 *
 * @example
 * control.use(retryPolicy({ maxAttempts: 3 }), { priority: 40 });
 */
export interface ControlPolicy<H extends ControlHandler = ControlHandler> {
  readonly handler: H;
  readonly options: RegisterOptions;
}

/** A handler that failed: which one, how, on which event. `critical` ones also fail the check. */
export interface ControlFailure {
  readonly handler: string;
  readonly kind: "threw" | "timed-out" | "invalid-answer";
  /** `check` is a decision; `observe` is the handler's `onEvent`, which never affects a decision. */
  readonly phase: "check" | "observe";
  readonly critical: boolean;
  readonly error: unknown;
  readonly event: RuntrailEvent;
}

/** Options of `createControl`. */
export interface ControlOptions {
  /** Where handler failures go. Default: `console.warn`. */
  onError?: (failure: ControlFailure) => void;
  /**
   * Called with every decision a handler made (not the default PROCEED), for an audit log; the
   * engine writes the same `handler` and `reason` into the trail.
   */
  onDecision?: (decision: ControlDecision, event: RuntrailEvent, ctx: ControlContext) => void;
  /** Default per-handler limit on an async answer, in ms. Default 5,000. */
  timeoutMs?: number;
}

/** Counters of what the manager did. */
export interface ControlStats {
  handlers: number;
  checks: number;
  /** Checks by the signal they returned. */
  decisions: Record<ControlAnswer["signal"], number>;
  /** Handlers that threw or gave an invalid answer, in `check` (critical or not). */
  handlerErrors: number;
  /** Handlers whose async answer did not come within their limit. */
  handlerTimeouts: number;
  /** `onEvent` calls that threw. */
  observerErrors: number;
}

/** A registered handler, as `control.list()` shows it, in consultation order. */
export interface HandlerInfo {
  readonly name: string;
  readonly priority: number;
  readonly eventTypes?: readonly TypePattern[];
  readonly steps?: readonly string[];
  readonly critical: boolean;
  readonly timeoutMs: number;
}
