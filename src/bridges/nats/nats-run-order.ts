/**
 * Seq order per run for events read from a stream. A run's events are in the stream in seq order
 * except after a publisher retried one (its successors may have landed first), and a message can
 * be there twice (republished after the duplicate window). So: duplicates are dropped; where a
 * subscription gets every event of its runs, an event after a missing seq is held until the
 * missing one arrives, or delivered anyway once it has waited `windowMs` (the stream may have aged
 * out the run's start); where it gets only some types, events are delivered in rising seq only.
 */
import type { RuntrailEvent } from "../../events/index.js";

interface RunPlace {
  /** The next seq to deliver (contiguous mode) or the last delivered (rising mode). */
  seq: number;
  held?: Map<number, RuntrailEvent>;
  heldSince: number;
}

export class RunOrder {
  private readonly runs = new Map<string, RunPlace>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;

  /**
   * @param contiguous whether every event of a run arrives (only then can a gap be seen)
   * @param fromStart whether runs start at seq 1 (reading from the stream's first message)
   */
  constructor(
    private readonly contiguous: boolean,
    private readonly windowMs: number,
    private readonly fromStart: boolean,
  ) {}

  /** Delivers `runId` after `seq` only. */
  start(runId: string, seq: number): void {
    this.runs.set(runId, { seq: this.contiguous ? seq + 1 : seq, heldSince: 0 });
  }

  /** The events that may be delivered now that `event` arrived, in order. */
  push(event: RuntrailEvent): RuntrailEvent[] {
    let place = this.runs.get(event.runId);
    if (!this.contiguous) {
      if (place === undefined) this.runs.set(event.runId, (place = { seq: 0, heldSince: 0 }));
      if (event.seq <= place.seq) return [];
      place.seq = event.seq;
      return [event];
    }
    if (place === undefined) this.runs.set(event.runId, (place = { seq: this.fromStart ? 1 : event.seq, heldSince: 0 }));
    if (event.seq < place.seq) return [];
    if (event.seq > place.seq) {
      if (place.held === undefined || place.held.size === 0) {
        place.held = new Map();
        place.heldSince = Date.now();
      }
      place.held.set(event.seq, event);
      return [];
    }
    const out = [event];
    place.seq++;
    this.release(place, out);
    return out;
  }

  private release(place: RunPlace, out: RuntrailEvent[]): void {
    const held = place.held;
    if (held === undefined) return;
    for (let next = held.get(place.seq); next !== undefined; next = held.get(place.seq)) {
      held.delete(place.seq);
      out.push(next);
      place.seq++;
    }
    for (const seq of held.keys()) if (seq < place.seq) held.delete(seq);
    if (held.size > 0) place.heldSince = Date.now();
  }

  /** Held events that waited `windowMs` for a missing one: delivered, the gap accepted. */
  due(): RuntrailEvent[] {
    const out: RuntrailEvent[] = [];
    const now = Date.now();
    for (const place of this.runs.values()) {
      if (place.held === undefined || place.held.size === 0 || now - place.heldSince < this.windowMs) continue;
      place.seq = Math.min(...place.held.keys());
      this.release(place, out);
    }
    return out;
  }

  /** Everything held, in seq order per run (at the end of the stream). */
  drain(): RuntrailEvent[] {
    const out: RuntrailEvent[] = [];
    for (const place of this.runs.values()) {
      while (place.held !== undefined && place.held.size > 0) {
        place.seq = Math.min(...place.held.keys());
        this.release(place, out);
      }
    }
    return out;
  }

  /** `next`, or `undefined` once some held event is due. */
  race<T>(next: Promise<T>): Promise<T | undefined> {
    let earliest = Infinity;
    for (const place of this.runs.values()) if (place.held !== undefined && place.held.size > 0) earliest = Math.min(earliest, place.heldSince + this.windowMs);
    if (earliest === Infinity || this.stopped) return next;
    return Promise.race([
      next,
      new Promise<undefined>((resolve) => {
        this.wake = () => resolve(undefined);
        this.timer = setTimeout(() => resolve(undefined), Math.max(0, earliest - Date.now()));
      }),
    ]).finally(() => clearTimeout(this.timer));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }
}
