/**
 * What every contender of the `bus` suite is given: the same fresh events and the same listeners,
 * so that the only difference between two rows is the emitter.
 */
import type { EventInput } from "runtrail";

/** Runs the events cycle over, so Runtrail's per-run seq counters are exercised as in a real process. */
export const RUN_IDS: readonly string[] = Array.from({ length: 64 }, (_, i) => `run-${i}`);
/** Steps the events cycle over: a listener for one of them matches exactly 10% of the events. */
export const STEP_IDS: readonly string[] = Array.from({ length: 10 }, (_, i) => `step-${i}`);
/** The workflow every event names: a `workflow` filter on it matches every event. */
export const WORKFLOW_NAME = "bench";
/** A workflow no event names: a `workflow` filter on it matches no event. */
export const OTHER_WORKFLOW = "other";

const WORKFLOW = { name: WORKFLOW_NAME, version: "1" };

/**
 * The i-th event, a fresh object on every call (Runtrail stamps it in place; the peers carry it
 * as is). `i` from 0 upwards; any 10 consecutive values cover every step once.
 *
 * @example
 * bus.emit(makeEvent(i));
 * emitter.emit("event", makeEvent(i));
 */
export function makeEvent(i: number): EventInput {
  return { type: "step.started", runId: RUN_IDS[i & 63]!, workflow: WORKFLOW, stepId: STEP_IDS[i % 10]! };
}

/**
 * The fields a filtering listener reads; a stamped Runtrail event and a bare input both have them.
 *
 * @example
 * const onStep3 = (event: Tagged) => event.stepId === "step-3";
 */
export interface Tagged {
  readonly stepId?: string;
  readonly workflow: { readonly name: string };
}

const RING = 256;
const MASK = RING - 1;

/**
 * Where listeners put the events they receive: a preallocated ring, so every event is really
 * stored (the allocation cannot be optimised away) yet dies young, plus a count that the suite
 * checks against the number of deliveries it expects.
 *
 * @example
 * const keeper = new Keeper();
 * emitter.on("event", keepAll(keeper));
 */
export class Keeper {
  readonly ring: unknown[] = new Array<unknown>(RING).fill(undefined);
  count = 0;
  /** The last timestamp kept by {@link keepStamped}. */
  ts = 0;
}

/**
 * A listener that keeps every event it is given.
 *
 * @example
 * bus.onEvent(keepAll(keeper), { stepId: "step-3" });
 */
export function keepAll(keeper: Keeper): (event: Tagged) => void {
  return (event) => {
    keeper.ring[keeper.count++ & MASK] = event;
  };
}

/**
 * A listener that checks the condition itself and returns early: what a user of an emitter
 * without filters writes, and the peers' equivalent of a Runtrail `stepId` filter.
 *
 * @example
 * emitter.on("event", keepIfStep(keeper, "step-3"));
 */
export function keepIfStep(keeper: Keeper, stepId: string): (event: Tagged) => void {
  return (event) => {
    if (event.stepId !== stepId) return;
    keeper.ring[keeper.count++ & MASK] = event;
  };
}

/**
 * Like {@link keepIfStep}, on the workflow's name: the peers' equivalent of a `workflow` filter.
 *
 * @example
 * emitter.on("event", keepIfWorkflow(keeper, "bench"));
 */
export function keepIfWorkflow(keeper: Keeper, name: string): (event: Tagged) => void {
  return (event) => {
    if (event.workflow.name !== name) return;
    keeper.ring[keeper.count++ & MASK] = event;
  };
}

/**
 * Keeps an event and a timestamp read for it: the "object + Date.now()" limit, which does all
 * an emit with no listener has to do and nothing more.
 *
 * @example
 * const keep = keepStamped(keeper);
 * keep(makeEvent(i), Date.now());
 */
export function keepStamped(keeper: Keeper): (event: Tagged, ts: number) => void {
  return (event, ts) => {
    keeper.ring[keeper.count++ & MASK] = event;
    keeper.ts = ts;
  };
}
