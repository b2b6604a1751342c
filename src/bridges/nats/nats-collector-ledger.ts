/**
 * What a collector knows of each run, and what becomes of each message: acked as a duplicate,
 * joined to the commit of the same event already on its way, handed to the writer, or held after
 * a gap until what is missing is handed (by this collector) or stored (by another).
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { RuntrailEvent } from "../../events/index.js";
import type { EventStore, PreparedEvent } from "../../store/index.js";

interface RunState {
  /** Last seq known to be stored. */
  stored: number;
  /** Last seq handed to the writer (≥ stored). */
  handed: number;
}

interface Held {
  readonly event: RuntrailEvent;
  readonly msg: JsMsg;
  readonly since: number;
}

export interface LedgerOptions {
  /** Runs remembered; beyond, settled ones are forgotten (and read from the store again when met). */
  readonly maxRuns: number;
  /** An event held this long is handed back to JetStream, to go to whoever has its predecessor. */
  readonly holdMs: number;
  /** The redelivery delay of a second copy of a held event. */
  readonly nakDelayMs: number;
}

export class CollectorLedger {
  readonly counts = { stored: 0, duplicates: 0, gaps: 0, invalid: 0 };
  private readonly runs = new Map<string, RunState>();
  /** Messages handed to the writer, in its commit order, with the redeliveries met meanwhile. */
  private handed: { key: string; msgs: JsMsg[] }[] = [];
  private head = 0;
  private readonly byEvent = new Map<string, { msgs: JsMsg[] }>();
  private readonly held = new Map<string, Map<number, Held>>();
  private checking = false;

  constructor(
    private readonly store: EventStore,
    /** Hands an event to the writer; a promise when the writer is full. */
    private readonly emit: (event: RuntrailEvent) => Promise<void> | undefined,
    private readonly options: LedgerOptions,
  ) {}

  /** Takes a message: its run is read from the store the first time it is met. */
  take(event: RuntrailEvent, msg: JsMsg): Promise<void> | undefined {
    const key = `${event.accountId}\u0000${event.runId}`;
    const run = this.runs.get(key);
    if (run !== undefined) return this.place(run, key, event, msg);
    return this.store.lastSeq(event.accountId, event.runId).then((stored) => {
      const known = this.runs.get(key) ?? { stored, handed: stored };
      this.runs.set(key, known);
      if (this.runs.size > this.options.maxRuns) this.forget();
      return this.place(known, key, event, msg);
    });
  }

  /** Acks the messages of committed events (the writer commits in the order it was handed them). */
  committed(events: readonly PreparedEvent[]): void {
    for (const { event } of events) {
      const entry = this.handed[this.head++]!;
      for (const msg of entry.msgs) msg.ack();
      this.byEvent.delete(entry.key);
      const run = this.runs.get(`${event.accountId}\u0000${event.runId}`);
      if (run !== undefined && event.seq > run.stored) run.stored = event.seq;
    }
    if (this.head > 1_024 && this.head * 2 > this.handed.length) {
      this.handed = this.handed.slice(this.head);
      this.head = 0;
    }
  }

  private place(run: RunState, key: string, event: RuntrailEvent, msg: JsMsg): Promise<void> | undefined {
    if (event.seq <= run.stored) {
      this.counts.duplicates++;
      msg.ack();
      return undefined;
    }
    if (event.seq <= run.handed) {
      this.counts.duplicates++;
      const entry = this.byEvent.get(`${key}\u0000${event.seq}`);
      if (entry !== undefined) entry.msgs.push(msg);
      else msg.ack();
      return undefined;
    }
    if (event.seq === run.handed + 1) return this.hand(run, key, event, msg);
    // A gap: the missing event is later in the stream (a publisher retried it) or with another collector.
    this.counts.gaps++;
    let waiting = this.held.get(key);
    if (waiting === undefined) this.held.set(key, (waiting = new Map()));
    if (waiting.has(event.seq)) msg.nak(this.options.nakDelayMs);
    else waiting.set(event.seq, { event, msg, since: Date.now() });
    return undefined;
  }

  /** Hands an event to the writer, then the held events of its run that follow it. */
  private hand(run: RunState, key: string, event: RuntrailEvent, msg: JsMsg): Promise<void> | undefined {
    let pressure: Promise<void> | undefined;
    for (let next: Held | undefined = { event, msg, since: 0 }; next !== undefined; ) {
      run.handed = next.event.seq;
      const entry = { key: `${key}\u0000${next.event.seq}`, msgs: [next.msg] };
      this.handed.push(entry);
      this.byEvent.set(entry.key, entry);
      this.counts.stored++;
      pressure = this.emit(next.event) ?? pressure;
      next = this.unhold(key, run.handed + 1);
    }
    return pressure;
  }

  private unhold(key: string, seq: number): Held | undefined {
    const waiting = this.held.get(key);
    const entry = waiting?.get(seq);
    if (entry === undefined) return undefined;
    waiting!.delete(seq);
    if (waiting!.size === 0) this.held.delete(key);
    return entry;
  }

  /** Reads the runs with held events again from the store (another collector may have stored what was missing). */
  async recheck(): Promise<void> {
    if (this.checking || this.held.size === 0) return;
    this.checking = true;
    try {
      for (const [key, waiting] of [...this.held]) {
        const run = this.runs.get(key)!;
        const any = waiting.values().next().value!.event;
        const stored = await this.store.lastSeq(any.accountId, any.runId);
        run.stored = Math.max(run.stored, stored);
        run.handed = Math.max(run.handed, stored);
        const now = Date.now();
        for (const seq of [...waiting.keys()].sort((x, y) => x - y)) {
          const entry = waiting.get(seq);
          if (entry === undefined) continue;
          if (seq <= run.handed + 1) void this.place(run, key, this.unhold(key, seq)!.event, entry.msg);
          else if (now - entry.since > this.options.holdMs) this.unhold(key, seq)!.msg.nak();
        }
      }
    } catch {
      // The store is away: the next round tries again, and JetStream redelivers what waits too long.
    } finally {
      this.checking = false;
    }
  }

  /** Hands every held message back to JetStream (at close). */
  releaseHeld(): void {
    for (const waiting of this.held.values()) for (const { msg } of waiting.values()) msg.nak();
    this.held.clear();
  }

  private forget(): void {
    for (const [key, run] of this.runs) {
      if (this.runs.size <= this.options.maxRuns) return;
      if (run.handed === run.stored && !this.held.has(key)) this.runs.delete(key);
    }
  }
}
