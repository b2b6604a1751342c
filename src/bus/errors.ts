/**
 * What the bus throws, and how it reports consumers that failed without disturbing the producer.
 */
import type { RuntrailEvent } from "../events/index.js";

/** Thrown by `emit` after `close()`. */
export class BusClosedError extends Error {
  override readonly name = "BusClosedError";
  constructor() {
    super("the event bus is closed; create a new bus to emit more events");
  }
}

/** Thrown by `emit` when a producer passes an object the bus already stamped. */
export class EventReusedError extends Error {
  override readonly name = "EventReusedError";
  constructor(runId: string, seq: number) {
    super(`emit was given an event that was already emitted (run "${runId}", seq ${seq}); pass a new object`);
  }
}

/** Thrown by `emit` for a run that already emitted its terminal event. */
export class RunEndedError extends Error {
  override readonly name = "RunEndedError";
  constructor(
    readonly runId: string,
    type: string,
  ) {
    super(`run "${runId}" has ended; cannot emit "${type}" after its terminal event`);
  }
}

/**
 * Thrown by `emit` for a run id that is live under another account. A run's seq is counted per
 * run id, and stores key runs by it, so one id in two accounts would interleave their seqs (a gap
 * in each) and collide in storage: refused here, at the producer, before anything is stamped.
 */
export class RunAccountError extends Error {
  override readonly name = "RunAccountError";
  constructor(
    readonly runId: string,
    readonly owner: string,
    readonly accountId: string,
  ) {
    super(`run "${runId}" belongs to account "${owner}"; an event for it from account "${accountId}" was refused (use a run id unique across accounts)`);
  }
}

/** Ends a stream subscription with overflow policy `error` when its buffer is full. */
export class SubscriptionOverflowError extends Error {
  override readonly name = "SubscriptionOverflowError";
  constructor(
    readonly bufferSize: number,
    /** The first event the subscriber did not get; refill from the store from here. */
    readonly firstMissed: { readonly runId: string; readonly seq: number },
  ) {
    super(
      `stream subscription overflowed its buffer of ${bufferSize}: first missed event is seq ${firstMissed.seq} of run "${firstMissed.runId}"`,
    );
  }
}

/** Reported when an async observer does not settle within its `timeoutMs`. */
export class ObserverTimeoutError extends Error {
  override readonly name = "ObserverTimeoutError";
  constructor(observer: string, timeoutMs: number) {
    super(`observer "${observer}" did not settle within ${timeoutMs} ms`);
  }
}

/** Reported when an async observer's queue is past its bound and its oldest event is dropped. */
export class ObserverQueueFullError extends Error {
  override readonly name = "ObserverQueueFullError";
  constructor(observer: string, maxQueue: number) {
    super(`observer "${observer}" fell ${maxQueue} events behind; its oldest pending event was dropped`);
  }
}

/** A consumer that failed: which one, how, and on which event. The run never sees it. */
export interface ConsumerFailure {
  readonly consumer: "listener" | "observer";
  /** The consumer's name: the option given, else the function's name, else "anonymous". */
  readonly name: string;
  readonly kind: "threw" | "timed-out" | "dropped";
  readonly error: unknown;
  readonly event: RuntrailEvent;
}

/** Where consumer failures go unless the bus is given its own `onError`. */
export function warnConsumerFailure(failure: ConsumerFailure): void {
  const { consumer, name, kind, error, event } = failure;
  const message = error instanceof Error ? error.message : String(error);
  console.warn(`[runtrail] ${consumer} "${name}" ${kind} on ${event.type} (run ${event.runId}, seq ${event.seq}): ${message}`);
}
