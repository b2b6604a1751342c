/**
 * The streams the `bus` suite pushes a million events through: a producer emitting fresh events
 * and a `for await` consumer keeping each one. Runtrail's `block` subscription against node's
 * `events.on` iterator (bounded with its high-water mark, and unbounded) and, as the limit, a
 * plain async generator, which has no buffer, no fan-out and no backpressure to manage.
 */
import { EventEmitter, on } from "node:events";
import { createBus } from "runtrail";
import { keepAll, makeEvent, type Keeper, type Tagged } from "./bus-fixtures.js";

/** The producer calls the probe after every this many events (the suite samples the heap there). */
export const PROBE_EVERY = 50_000;
/** The bound of the bounded streams, in events. */
export const STREAM_BUFFER = 1_024;

/**
 * What one run did: events the consumer received, and how often the producer had to wait.
 *
 * @example
 * const run: StreamRun = await asyncGenerator.run(1_000, new Keeper(), () => undefined);
 */
export interface StreamRun {
  readonly consumed: number;
  readonly waits: number;
}

/**
 * A producer/consumer pair under test.
 *
 * @example
 * const keeper = new Keeper();
 * const { consumed, waits } = await runtrailBlock.run(1_000_000, keeper, (n) => sample(n));
 */
export interface StreamContender {
  readonly name: string;
  /** Moves `total` fresh events to the consumer; `probe(produced)` runs every {@link PROBE_EVERY}. */
  run(total: number, keeper: Keeper, probe: (produced: number) => void): Promise<StreamRun>;
}

/** `bus.subscribe(undefined, { overflow: "block", bufferSize })`, the producer awaiting `emit`'s promise. */
export const runtrailBlock: StreamContender = {
  name: "runtrail block",
  async run(total, keeper, probe) {
    const bus = createBus();
    const subscription = bus.subscribe(undefined, { overflow: "block", bufferSize: STREAM_BUFFER });
    const keep = keepAll(keeper);
    const consumer = (async () => {
      let consumed = 0;
      for await (const event of subscription) {
        keep(event);
        if (++consumed === total) break;
      }
      return consumed;
    })();
    let waits = 0;
    for (let i = 0; i < total; ) {
      const pending = bus.emit(makeEvent(i));
      if (pending) {
        waits++;
        await pending;
      }
      if (++i % PROBE_EVERY === 0) probe(i);
    }
    const consumed = await consumer;
    await bus.close();
    return { consumed, waits };
  },
};

/**
 * An emitter `events.on` can pause: past its `highWaterMark` it calls `pause()`, and `resume()`
 * once the consumer has drained below `lowWaterMark` (default 1), so a producer that waits while
 * paused gets lossless backpressure, the same contract as Runtrail's `block`.
 */
class PausableEmitter extends EventEmitter {
  paused = false;
  private wake: (() => void) | undefined;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  resumed(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

function eventsOn(name: string, highWaterMark: number | undefined): StreamContender {
  return {
    name,
    async run(total, keeper, probe) {
      const emitter = new PausableEmitter();
      const keep = keepAll(keeper);
      const consumer = (async () => {
        let consumed = 0;
        const options = highWaterMark === undefined ? {} : { highWaterMark };
        // events.on yields each emit's arguments as an array.
        for await (const args of on(emitter, "event", options)) {
          keep((args as [Tagged])[0]);
          if (++consumed === total) break;
        }
        return consumed;
      })();
      let waits = 0;
      for (let i = 0; i < total; ) {
        emitter.emit("event", makeEvent(i));
        if (emitter.paused) {
          waits++;
          await emitter.resumed();
        }
        if (++i % PROBE_EVERY === 0) probe(i);
      }
      return { consumed: await consumer, waits };
    },
  };
}

/** node's `events.on` with `highWaterMark` and a pausable emitter: bounded, lossless. */
export const eventsOnBounded: StreamContender = eventsOn(`events.on hwm ${STREAM_BUFFER}`, STREAM_BUFFER);

/** node's `events.on` as most code uses it: the producer never waits and the buffer has no bound. */
export const eventsOnUnbounded: StreamContender = eventsOn("events.on unbounded", undefined);

/** The limit: an async generator handing each fresh event straight to `for await`. */
export const asyncGenerator: StreamContender = {
  name: "async generator",
  async run(total, keeper, probe) {
    async function* produce(): AsyncGenerator<Tagged> {
      for (let i = 0; i < total; ) {
        yield makeEvent(i);
        if (++i % PROBE_EVERY === 0) probe(i);
      }
    }
    const keep = keepAll(keeper);
    let consumed = 0;
    for await (const event of produce()) {
      keep(event);
      consumed++;
    }
    return { consumed, waits: 0 };
  },
};
