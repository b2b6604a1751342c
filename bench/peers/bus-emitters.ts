/**
 * The synchronous emitters the `bus` suite compares: Runtrail's bus, node:events, eventemitter3,
 * tseep, mitt, and the limit (a plain loop over an array of functions). Each is built the way its
 * own users would write it; where Runtrail has a filter, the peers check the same condition in
 * the listener and return early.
 */
import { EventEmitter as NodeEmitter } from "node:events";
import { EventEmitter as EventEmitter3 } from "eventemitter3";
import mittImport from "mitt";
import { createBus, type EventFilter, type EventInput } from "runtrail";
import { EventEmitter as Tseep } from "tseep";
import { keepAll, keepIfStep, keepIfWorkflow, keepStamped, makeEvent, type Keeper, type Tagged } from "./bus-fixtures.js";

/**
 * One listener: it keeps every event, or only those of one step, or of one workflow (one field at most).
 *
 * @example
 * const specs: ListenerSpec[] = [{}, { stepId: "step-3" }, { workflow: "bench" }];
 */
export interface ListenerSpec {
  readonly stepId?: string;
  readonly workflow?: string;
}

/**
 * An emitter under test.
 *
 * @example
 * const keeper = new Keeper();
 * const emitOnce = tseep.build([{}, { stepId: "step-3" }], keeper);
 * const ns = measureSync(emitOnce, { iterations: 200_000 });
 */
export interface SyncContender {
  readonly name: string;
  /**
   * Builds a fresh emitter with one listener per spec, all keeping into `keeper`, and returns
   * the code that is timed: one emit of the i-th fresh event.
   */
  build(specs: readonly ListenerSpec[], keeper: Keeper): (i: number) => void;
}

// mitt's types read as CommonJS under NodeNext, but Node loads its ESM build, whose default is the function.
const mitt = mittImport as unknown as typeof mittImport.default;

type Keep = (event: Tagged) => void;
type Channels = { event: (event: EventInput) => void };

/** The peers' listener for a spec: the condition, if any, is checked inside the listener. */
function selfChecking(spec: ListenerSpec, keeper: Keeper): Keep {
  if (spec.stepId !== undefined) return keepIfStep(keeper, spec.stepId);
  if (spec.workflow !== undefined) return keepIfWorkflow(keeper, spec.workflow);
  return keepAll(keeper);
}

/** Runtrail's filter for a spec: `undefined` (every event) when the spec has no condition. */
function filterOf(spec: ListenerSpec): EventFilter | undefined {
  if (spec.stepId !== undefined) return { stepId: spec.stepId };
  if (spec.workflow !== undefined) return { workflow: spec.workflow };
  return undefined;
}

/** Runtrail with its own filters: `onEvent(listener, { stepId })`. */
export const runtrail: SyncContender = {
  name: "runtrail",
  build(specs, keeper) {
    const bus = createBus();
    for (const spec of specs) bus.onEvent(keepAll(keeper), filterOf(spec));
    return (i) => {
      void bus.emit(makeEvent(i));
    };
  },
};

/** Runtrail with unfiltered listeners that check the condition themselves, as the peers do. */
export const runtrailSelfChecking: SyncContender = {
  name: "runtrail (check in listener)",
  build(specs, keeper) {
    const bus = createBus();
    for (const spec of specs) bus.onEvent(selfChecking(spec, keeper));
    return (i) => {
      void bus.emit(makeEvent(i));
    };
  },
};

export const nodeEvents: SyncContender = {
  name: "node:events",
  build(specs, keeper) {
    const emitter = new NodeEmitter();
    emitter.setMaxListeners(0);
    for (const spec of specs) emitter.on("event", selfChecking(spec, keeper));
    return (i) => {
      emitter.emit("event", makeEvent(i));
    };
  },
};

export const eventemitter3: SyncContender = {
  name: "eventemitter3",
  build(specs, keeper) {
    const emitter = new EventEmitter3<Channels>();
    for (const spec of specs) emitter.on("event", selfChecking(spec, keeper));
    return (i) => {
      emitter.emit("event", makeEvent(i));
    };
  },
};

export const tseep: SyncContender = {
  name: "tseep",
  build(specs, keeper) {
    const emitter = new Tseep<Channels>();
    for (const spec of specs) emitter.on("event", selfChecking(spec, keeper));
    return (i) => {
      emitter.emit("event", makeEvent(i));
    };
  },
};

export const mittPeer: SyncContender = {
  name: "mitt",
  build(specs, keeper) {
    const emitter = mitt<{ event: EventInput }>();
    for (const spec of specs) emitter.on("event", selfChecking(spec, keeper));
    return (i) => {
      emitter.emit("event", makeEvent(i));
    };
  },
};

/** The limit: nothing between the producer and its listeners but a loop. */
export const plainLoop: SyncContender = {
  name: "plain loop",
  build(specs, keeper) {
    const listeners = specs.map((spec) => selfChecking(spec, keeper));
    return (i) => {
      const event = makeEvent(i);
      for (let j = 0; j < listeners.length; j++) listeners[j]!(event);
    };
  },
};

/**
 * The limit of an emit that no one listens to: create the event and read the clock, as Runtrail
 * must, and nothing else. It ignores `specs`, and keeps every event (so its count is the calls).
 */
export const objectAndClock: SyncContender = {
  name: "object + Date.now()",
  build(_specs, keeper) {
    const keep = keepStamped(keeper);
    return (i) => {
      keep(makeEvent(i), Date.now());
    };
  },
};

/**
 * The limit of an emit that stamps as DESIGN.md requires, and nothing else: the event, its seq
 * from a per-run counter, its `id` (`runId:seq`, a number turned into a string), the clock and
 * the account. It ignores `specs`, and keeps every event (so its count is the calls).
 */
export const stampedObject: SyncContender = {
  name: "stamped object",
  build(_specs, keeper) {
    const keep = keepAll(keeper);
    const seqs = new Map<string, { seq: number }>();
    return (i) => {
      const event = makeEvent(i) as EventInput & { id?: string; seq?: number; ts?: number };
      let counter = seqs.get(event.runId);
      if (counter === undefined) seqs.set(event.runId, (counter = { seq: 0 }));
      const seq = ++counter.seq;
      event.id = event.runId + ":" + seq;
      event.seq = seq;
      event.ts = Date.now();
      event.accountId = "default";
      keep(event);
    };
  },
};

/** The peers, in the order the report lists them. */
export const PEERS: readonly SyncContender[] = [nodeEvents, eventemitter3, tseep, mittPeer];
