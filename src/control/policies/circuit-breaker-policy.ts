/**
 * A circuit breaker per step, tool or model. Closed: everything runs, failures are counted. After
 * `failureThreshold` failures within `windowMs` it opens: starts (before-step) and further
 * failures (after-*-failure, so an open circuit is not retried) get FAIL, or FALLBACK with the
 * configured value. After `cooldownMs` it half-opens and lets one trial attempt through; the
 * trial's success closes it, its failure opens it again for another cooldown.
 *
 * Outcomes come from two places: failures reach `check` at their decision points, and every
 * outcome (successes included, which are no decision point) reaches `onEvent` once the manager is
 * attached to the bus. Both paths record by event id, so an event seen twice counts once; and a
 * failure counts even when a handler asked before this one already decided.
 */
import type { TypePattern } from "../../bus/index.js";
import type { RuntrailEvent } from "../../events/index.js";
import type { Fail, Fallback } from "../control-types.js";
import type { ControlHandlerObject, ControlPolicy } from "../handler-types.js";
import { keyReader, type KeySelector } from "./policy-key.js";

/** Where a circuit is. */
export type CircuitState = "closed" | "open" | "half-open";

/** Options of {@link circuitBreakerPolicy}. */
export interface CircuitBreakerOptions {
  /** Handler name. Default `"circuit-breaker"`. */
  name?: string;
  /** One circuit per step (default), per tool name, per model, or per key you compute. */
  key?: Extract<KeySelector, "step" | "tool" | "llm"> | ((event: RuntrailEvent) => string | undefined);
  /** Failures within `windowMs` that open the circuit. Default 5. */
  failureThreshold?: number;
  /** Default 60,000. */
  windowMs?: number;
  /** How long an open circuit refuses before it lets a trial through. Default 30,000. */
  cooldownMs?: number;
  /** Answer FALLBACK with this value instead of FAIL while open. */
  fallback?: { readonly value: unknown };
  /** The clock, in ms. Default `Date.now`; tests inject their own. */
  clock?: () => number;
}

/** The breaker's handler, with a view of its circuits. */
export interface CircuitBreakerHandler extends ControlHandlerObject {
  /** A circuit's state; `"closed"` for a key never seen. `"open"` lasts until a trial is let through. */
  state(key: string): CircuitState;
  /** Closes one circuit, or all. */
  reset(key?: string): void;
}

/** Suggested priority: first, so nothing else spends effort on a call that will be refused. */
export const CIRCUIT_BREAKER_PRIORITY = 10;

interface Circuit {
  state: CircuitState;
  /** Failure times within the window, oldest first (closed state only). */
  failures: number[];
  openedAt: number;
  /** When the half-open trial was let through. */
  trialAt: number | undefined;
}

const START = new Set(["step.started"]);
const FAILURE = new Set(["step.failed", "tool.failed", "llm.failed"]);
const SUCCESS = new Set(["step.completed", "tool.completed", "llm.responded"]);
/** Ids of recorded outcomes kept for deduplication; an event is seen by both paths within moments. */
const SEEN_LIMIT = 1_024;

const TYPES: Record<"step" | "tool" | "llm" | "custom", { check: TypePattern[]; observes: TypePattern[] }> = {
  step: { check: ["step.started", "step.failed"], observes: ["step.completed", "step.failed"] },
  tool: { check: ["tool.failed"], observes: ["tool.completed", "tool.failed"] },
  llm: { check: ["llm.failed"], observes: ["llm.responded", "llm.failed"] },
  custom: {
    check: ["step.started", "step.failed", "tool.failed", "llm.failed"],
    observes: ["step.completed", "step.failed", "tool.completed", "tool.failed", "llm.responded", "llm.failed"],
  },
};

/**
 * Creates a circuit breaker.
 *
 * @example
 * control.use(circuitBreakerPolicy({ key: "step", failureThreshold: 3, windowMs: 60_000, cooldownMs: 30_000 }));
 * control.attach(bus); // successes close half-open circuits
 * // 3rd failure of "charge" within a minute -> { signal: "fail", reason: 'circuit "charge" is open …', handler: "circuit-breaker" }
 */
export function circuitBreakerPolicy(options: CircuitBreakerOptions = {}): ControlPolicy<CircuitBreakerHandler> {
  const {
    name = "circuit-breaker",
    key = "step",
    failureThreshold = 5,
    windowMs = 60_000,
    cooldownMs = 30_000,
    fallback,
    clock = Date.now,
  } = options;
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    throw new RangeError(`circuit breaker "${name}": failureThreshold must be an integer >= 1, got ${failureThreshold}`);
  }
  if (!(windowMs > 0)) throw new RangeError(`circuit breaker "${name}": windowMs must be > 0, got ${windowMs}`);
  if (!(cooldownMs >= 0)) throw new RangeError(`circuit breaker "${name}": cooldownMs must be >= 0, got ${cooldownMs}`);

  const readKey = keyReader(key);
  const types = TYPES[typeof key === "function" ? "custom" : key];
  const circuits = new Map<string, Circuit>();
  const seen = new Set<string>();

  const circuitOf = (k: string): Circuit => {
    let circuit = circuits.get(k);
    if (circuit === undefined) {
      circuit = { state: "closed", failures: [], openedAt: 0, trialAt: undefined };
      circuits.set(k, circuit);
    }
    return circuit;
  };
  const open = (circuit: Circuit, now: number): void => {
    circuit.state = "open";
    circuit.openedAt = now;
    circuit.trialAt = undefined;
    circuit.failures = [];
  };
  const close = (circuit: Circuit): void => {
    circuit.state = "closed";
    circuit.trialAt = undefined;
    circuit.failures = [];
  };
  const refuse = (reason: string): Fail | Fallback =>
    fallback === undefined ? { signal: "fail", reason } : { signal: "fallback", value: fallback.value, reason };
  const openReason = (k: string, circuit: Circuit, now: number): string =>
    `circuit "${k}" is open after ${failureThreshold} failure(s) within ${windowMs} ms; ` +
    `next trial in ${Math.max(0, circuit.openedAt + cooldownMs - now)} ms`;

  /** Records an outcome once per event id; returns the event's circuit key. */
  const record = (event: RuntrailEvent): string | undefined => {
    const k = readKey(event);
    if (k === undefined) return undefined;
    const failure = FAILURE.has(event.type);
    if (!failure && !SUCCESS.has(event.type)) return k;
    if (seen.has(event.id)) return k;
    seen.add(event.id);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value!);
    const now = clock();
    if (!failure) {
      const circuit = circuits.get(k);
      if (circuit === undefined || circuit.state === "closed") return k;
      // A success after the cooldown proves recovery even if no trial was let through (tool keys have no before point).
      if (circuit.state === "half-open" || now - circuit.openedAt >= cooldownMs) close(circuit);
      return k;
    }
    const circuit = circuitOf(k);
    if (circuit.state === "half-open") open(circuit, now);
    else if (circuit.state === "open") {
      // A failure after the cooldown is a failed trial: the cooldown starts again.
      if (now - circuit.openedAt >= cooldownMs) open(circuit, now);
    } else {
      circuit.failures.push(now);
      while (circuit.failures.length > 0 && circuit.failures[0]! <= now - windowMs) circuit.failures.shift();
      if (circuit.failures.length >= failureThreshold) open(circuit, now);
    }
    return k;
  };

  const handler: CircuitBreakerHandler = {
    observes: types.observes,
    check(event) {
      const k = record(event);
      if (k === undefined) return undefined;
      const circuit = circuits.get(k);
      if (circuit === undefined || circuit.state === "closed") return undefined;
      const now = clock();
      if (!START.has(event.type)) return refuse(openReason(k, circuit, now));
      if (circuit.state === "open") {
        if (now - circuit.openedAt < cooldownMs) return refuse(openReason(k, circuit, now));
        circuit.state = "half-open";
        circuit.trialAt = now;
        return undefined;
      }
      // Half-open: one trial at a time; a trial that never reports back frees the slot after a cooldown.
      if (circuit.trialAt !== undefined && now - circuit.trialAt < cooldownMs) {
        return refuse(`circuit "${k}" is half-open; a trial attempt is in flight`);
      }
      circuit.trialAt = now;
      return undefined;
    },
    onEvent(event) {
      record(event);
    },
    state(k) {
      return circuits.get(k)?.state ?? "closed";
    },
    reset(k) {
      if (k === undefined) circuits.clear();
      else circuits.delete(k);
    },
  };
  return { handler, options: { name, priority: CIRCUIT_BREAKER_PRIORITY, eventTypes: types.check } };
}
