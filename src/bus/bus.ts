/**
 * The event bus: stamps each event (id, seq, ts, accountId) and delivers it to sync listeners,
 * async observers and stream subscriptions, in seq order per run, isolating every consumer.
 */
import { isTerminalRunEvent, type EventInput, type RuntrailEvent } from "../events/index.js";
import { DEFAULT_ACCOUNT } from "../events/index.js";
import { BusClosedError, EventReusedError, warnConsumerFailure, type ConsumerFailure } from "./errors.js";
import { compileFilter, type EventFilter, type Matcher, type Matching, type TypePattern } from "./filter.js";
import { ObserverRunner, type ObserveOptions, type Observer } from "./observer.js";
import { RunCounters } from "./run-counters.js";
import {
  StreamSubscription,
  type OverflowPolicy,
  type StreamItem,
  type SubscribeOptions,
  type Subscription,
} from "./subscription.js";

/** A synchronous listener. It runs on the producer's stack, so keep it quick. */
export type Listener<E = RuntrailEvent> = (event: E) => void;

/** Options of {@link createBus}. */
export interface BusOptions {
  /** Where consumer failures go (a throwing listener, a timed-out observer). Default: `console.warn`. */
  onError?: (failure: ConsumerFailure) => void;
  /** The clock that stamps `ts`, in epoch ms. Default `Date.now`; tests inject their own. */
  clock?: () => number;
}

/** Counters of what the bus did, for health checks and tests. */
export interface BusStats {
  emitted: number;
  listenerErrors: number;
  observerErrors: number;
  observerTimeouts: number;
  observerDropped: number;
  /** Events dropped by `drop-oldest`/`drop-newest` subscriptions, each also marked by a gap. */
  streamDropped: number;
  activeRuns: number;
  listeners: number;
  observers: number;
  subscriptions: number;
}

/**
 * The bus every producer emits into and every consumer reads from.
 *
 * @example
 * const bus = createBus();
 * const stop = bus.onEvent((e) => console.log(e.seq, e.type), { type: "step.*" });
 * bus.emit({ type: "step.started", runId: "r1", workflow: { name: "etl" }, stepId: "load" });
 * stop();
 */
export interface EventBus {
  /**
   * Stamps `input` in place with `id`, `seq` (per run: 1, 2, 3, …), `ts` and a default
   * `accountId`, then delivers it. Returns `undefined`, or, when a `block` subscriber's buffer is
   * full, a promise the producer should await before emitting more (lossless backpressure).
   * Pass a fresh object each time; it belongs to the bus afterwards.
   */
  emit(input: EventInput): Promise<void> | undefined;
  /**
   * Registers a sync listener: called in registration order, in seq order. Returns unsubscribe.
   * A listener whose filter names one `runId` (a string) is kept with that run, so many runs'
   * own listeners cost an emit one lookup, not one test each; a run's listeners are called after
   * the bus-wide ones.
   */
  onEvent<P extends TypePattern = "*">(listener: Listener<Matching<P>>, filter?: EventFilter<P>): () => void;
  /** Registers an async observer: never delays the producer. Returns unsubscribe. */
  observe<P extends TypePattern = "*">(
    observer: (event: Matching<P>) => void | Promise<void>,
    options?: ObserveOptions & { filter?: EventFilter<P> },
  ): () => void;
  /** Opens a stream subscription for `for await`. */
  subscribe<Pol extends OverflowPolicy = "block">(
    filter?: EventFilter,
    options?: SubscribeOptions<Pol>,
  ): Subscription<StreamItem<Pol>>;
  /** Continues a run's seq after `lastSeq` (a run restarted in a new process). */
  resumeRun(runId: string, lastSeq: number): void;
  /** The last seq emitted for a live run (0 if none). */
  lastSeq(runId: string): number;
  stats(): BusStats;
  /** Ends every subscription (after it drains), waits for observers, refuses further emits. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface ListenerEntry {
  readonly fn: Listener;
  readonly matcher: Matcher;
  readonly name: string;
  active: boolean;
}

/** The fields the bus writes onto an input to make it an event. */
interface Stamped {
  type: string;
  runId: string;
  id?: string;
  seq?: number;
  ts?: number;
  accountId?: string;
}


class Bus implements EventBus {
  private readonly counters = new RunCounters();
  private readonly clock: () => number;
  private readonly onError: (failure: ConsumerFailure) => void;
  // Copy-on-write arrays: delivery iterates a snapshot, so (un)registering mid-delivery is safe.
  private listeners: readonly ListenerEntry[] = [];
  /** Listeners of one run (a single-`runId` filter), by run. */
  private readonly runListeners = new Map<string, readonly ListenerEntry[]>();
  private observers: readonly ObserverRunner[] = [];
  private subscriptions: readonly StreamSubscription[] = [];
  /** Block subscribers at their bound; the producer waits for all of them. */
  private readonly pressured = new Set<StreamSubscription>();
  /** Run-to-completion: an emit made during delivery waits here, so every consumer keeps seq order. */
  private readonly mailbox: RuntrailEvent[] = [];
  private delivering = false;
  private readonly scheduledObservers = new Set<ObserverRunner>();
  private pumpScheduled = false;
  private closed = false;
  /** Drops counted by subscriptions that have since ended. */
  private detachedDropped = 0;
  private readonly counts = {
    emitted: 0,
    listenerErrors: 0,
    observerErrors: 0,
    observerTimeouts: 0,
    observerDropped: 0,
  };

  constructor(options: BusOptions) {
    this.clock = options.clock ?? Date.now;
    this.onError = options.onError ?? warnConsumerFailure;
  }

  emit(input: EventInput): Promise<void> | undefined {
    if (this.closed) throw new BusClosedError();
    const event = input as Stamped;
    if (event.seq !== undefined) throw new EventReusedError(event.runId, event.seq);
    const accountId = event.accountId ?? DEFAULT_ACCOUNT;
    const seq = this.counters.next(event.runId, event.type, accountId);
    event.id = event.runId + ":" + seq;
    event.seq = seq;
    event.ts = this.clock();
    event.accountId = accountId;
    this.counts.emitted++;
    const stamped = event as RuntrailEvent;
    if (isTerminalRunEvent(stamped.type)) this.counters.end(stamped.runId);

    if (this.delivering) {
      this.mailbox.push(stamped);
      return undefined;
    }
    this.delivering = true;
    try {
      this.deliver(stamped);
      // Events emitted by consumers during delivery, in the order they were stamped.
      if (this.mailbox.length > 0) this.deliverMailbox();
    } finally {
      this.delivering = false;
    }
    return this.pressured.size === 0 ? undefined : this.waitForRoom();
  }

  private deliverMailbox(): void {
    try {
      for (let i = 0; i < this.mailbox.length; i++) this.deliver(this.mailbox[i]!);
    } finally {
      this.mailbox.length = 0;
    }
  }

  private deliver(event: RuntrailEvent): void {
    this.callListeners(this.listeners, event);
    if (this.runListeners.size > 0) {
      const own = this.runListeners.get(event.runId);
      if (own !== undefined) this.callListeners(own, event);
    }
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) {
      const runner = observers[i]!;
      try {
        if (runner.matcher === undefined || runner.matcher(event)) runner.enqueue(event);
      } catch (error) {
        this.counts.observerErrors++;
        this.report({ consumer: "observer", name: runner.name, kind: "threw", error, event });
      }
    }
    const subscriptions = this.subscriptions;
    for (let i = 0; i < subscriptions.length; i++) {
      const subscription = subscriptions[i]!;
      let matches: boolean;
      try {
        matches = subscription.matcher === undefined || subscription.matcher(event);
      } catch (error) {
        this.counts.listenerErrors++;
        this.report({ consumer: "listener", name: "subscription filter", kind: "threw", error, event });
        continue;
      }
      if (!matches) continue;
      subscription.push(event);
      if (subscription.overflow === "block" && subscription.full) this.pressured.add(subscription);
    }
  }

  private callListeners(listeners: readonly ListenerEntry[], event: RuntrailEvent): void {
    for (let i = 0; i < listeners.length; i++) {
      const entry = listeners[i]!;
      try {
        if (entry.active && (entry.matcher === undefined || entry.matcher(event))) entry.fn(event);
      } catch (error) {
        this.counts.listenerErrors++;
        this.report({ consumer: "listener", name: entry.name, kind: "threw", error, event });
      }
    }
  }

  private async waitForRoom(): Promise<void> {
    while (this.pressured.size > 0) {
      const waits: Promise<void>[] = [];
      for (const subscription of this.pressured) {
        if (subscription.full) waits.push(subscription.room());
        else this.pressured.delete(subscription);
      }
      if (waits.length === 0) return;
      await Promise.all(waits);
    }
  }

  onEvent<P extends TypePattern = "*">(listener: Listener<Matching<P>>, filter?: EventFilter<P>): () => void {
    const entry: ListenerEntry = {
      fn: listener as Listener,
      matcher: compileFilter(filter),
      name: listener.name || "anonymous",
      active: true,
    };
    const runId = filter?.runId;
    if (typeof runId === "string") {
      this.runListeners.set(runId, [...(this.runListeners.get(runId) ?? []), entry]);
      return () => {
        if (!entry.active) return;
        entry.active = false;
        const rest = this.runListeners.get(runId)?.filter((other) => other !== entry) ?? [];
        if (rest.length === 0) this.runListeners.delete(runId);
        else this.runListeners.set(runId, rest);
      };
    }
    this.listeners = [...this.listeners, entry];
    return () => {
      if (!entry.active) return;
      entry.active = false;
      this.listeners = this.listeners.filter((other) => other !== entry);
    };
  }

  observe<P extends TypePattern = "*">(
    observer: (event: Matching<P>) => void | Promise<void>,
    options: ObserveOptions & { filter?: EventFilter<P> } = {},
  ): () => void {
    const runner = new ObserverRunner(
      observer as Observer,
      compileFilter(options.filter),
      options,
      (failure, source) => {
        if (failure.kind === "timed-out") this.counts.observerTimeouts++;
        else if (failure.kind === "dropped") this.counts.observerDropped++;
        else this.counts.observerErrors++;
        this.report({ consumer: "observer", name: source.name, ...failure });
      },
      (source) => this.schedulePump(source),
    );
    this.observers = [...this.observers, runner];
    return () => {
      runner.stop();
      this.observers = this.observers.filter((other) => other !== runner);
    };
  }

  /** Observers start on a microtask, so the producer's own code always runs first. */
  private schedulePump(runner: ObserverRunner): void {
    this.scheduledObservers.add(runner);
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      const runners = [...this.scheduledObservers];
      this.scheduledObservers.clear();
      for (const source of runners) source.pump();
    });
  }

  subscribe<Pol extends OverflowPolicy = "block">(
    filter?: EventFilter,
    options: SubscribeOptions<Pol> = {},
  ): Subscription<StreamItem<Pol>> {
    const subscription = new StreamSubscription(compileFilter(filter), options, (detached) => {
      this.subscriptions = this.subscriptions.filter((other) => other !== detached);
      this.pressured.delete(detached);
      this.detachedDropped += detached.dropped;
    });
    if (this.closed) subscription.end();
    else this.subscriptions = [...this.subscriptions, subscription];
    return subscription as unknown as Subscription<StreamItem<Pol>>;
  }

  resumeRun(runId: string, lastSeq: number): void {
    this.counters.resume(runId, lastSeq);
  }

  lastSeq(runId: string): number {
    return this.counters.last(runId);
  }

  stats(): BusStats {
    let streamDropped = 0;
    for (const subscription of this.subscriptions) streamDropped += subscription.dropped;
    return {
      ...this.counts,
      streamDropped: streamDropped + this.detachedDropped,
      activeRuns: this.counters.activeRuns,
      listeners: this.listeners.length + this.runListenerCount(),
      observers: this.observers.length,
      subscriptions: this.subscriptions.length,
    };
  }

  private runListenerCount(): number {
    let count = 0;
    for (const entries of this.runListeners.values()) count += entries.length;
    return count;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.end();
    await Promise.all(this.observers.map((runner) => runner.idle()));
    for (const runner of this.observers) runner.stop();
    this.observers = [];
    this.listeners = [];
    this.runListeners.clear();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private report(failure: ConsumerFailure): void {
    try {
      this.onError(failure);
    } catch {
      // An error hook that throws must not reach the producer either.
    }
  }
}

/**
 * Creates an event bus.
 *
 * @example
 * const bus = createBus({ onError: (f) => metrics.increment(`consumer.${f.kind}`) });
 */
export function createBus(options: BusOptions = {}): EventBus {
  return new Bus(options);
}
