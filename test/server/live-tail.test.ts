/**
 * The live tail's own rules, on batches shaped as the store writer announces them: a run's tail
 * holds consecutive seqs only, `take` answers only what it can prove, tenancy by account, and the
 * memory bounds (per run, in total, finished runs).
 */
import { describe, expect, it } from "vitest";
import type { RuntrailEvent } from "runtrail";
import { prepareEvent } from "../../src/store/index.js";
import type { CommittedBatch } from "../../src/store/index.js";
import { LiveTail } from "../../src/server/live/live-tail.js";
import { range } from "./server-fixtures.js";

function event(accountId: string, runId: string, seq: number, type = "step.completed", extra: object = {}): RuntrailEvent {
  return { type, id: `${runId}:${seq}`, runId, accountId, seq, ts: 1_000 + seq, workflow: { name: "etl" }, stepId: "s", durationMs: 1, ...extra } as unknown as RuntrailEvent;
}

const batch = (...events: RuntrailEvent[]): CommittedBatch => ({ events: events.map((e) => prepareEvent(e)) });
const run = (accountId: string, runId: string, seqs: readonly number[]): RuntrailEvent[] => seqs.map((seq) => event(accountId, runId, seq));
const ids = (tail: LiveTail, accountId: string, runId: string, after: number, limit = 1_000): number[] | undefined =>
  tail.take(accountId, runId, after, limit)?.items.map((item) => item.id);

describe("LiveTail", () => {
  it("gives a run's events from after+1, as stored, and nothing it cannot prove", () => {
    const tail = new LiveTail();
    tail.commit(batch(...run("acme", "r", range(5))));
    tail.commit(batch(...run("acme", "r", range(5, 6))));
    expect(ids(tail, "acme", "r", 0)).toEqual(range(10));
    expect(ids(tail, "acme", "r", 7)).toEqual([8, 9, 10]);
    expect(tail.take("acme", "r", 3, 4)).toMatchObject({ more: true });
    expect(ids(tail, "acme", "r", 3, 4)).toEqual([4, 5, 6, 7]);
    // Nothing after the tail's end: the store may hold more (another process), so: read it.
    expect(tail.take("acme", "r", 10, 100)).toBeUndefined();
    expect(tail.take("acme", "other", 0, 100)).toBeUndefined();
    const item = tail.take("acme", "r", 0, 1)!.items[0]!;
    expect(item.body).toBe(JSON.stringify(item.event));
    expect(item.event.seq).toBe(1);
  });

  it("starts a run's tail afresh when a seq does not follow, so a gap is never bridged", () => {
    const tail = new LiveTail();
    tail.commit(batch(...run("acme", "r", range(10))));
    // 11..20 were committed by another process; this writer commits 21.. next.
    tail.commit(batch(...run("acme", "r", range(5, 21))));
    expect(ids(tail, "acme", "r", 10)).toBeUndefined();
    expect(ids(tail, "acme", "r", 5)).toBeUndefined();
    expect(ids(tail, "acme", "r", 20)).toEqual(range(5, 21));
    expect(tail.stats()).toMatchObject({ runs: 1, events: 5 });
  });

  it("keys runs by account: the same run id in two accounts never mixes", () => {
    const tail = new LiveTail();
    tail.commit(batch(event("acme", "same", 1), event("globex", "same", 1), event("acme", "same", 2), event("globex", "same", 2), event("globex", "same", 3)));
    expect(tail.take("acme", "same", 0, 10)!.items.map((i) => [i.event.accountId, i.id])).toEqual([
      ["acme", 1],
      ["acme", 2],
    ]);
    expect(tail.take("globex", "same", 0, 10)!.items.every((i) => i.event.accountId === "globex")).toBe(true);
    expect(ids(tail, "globex", "same", 0)).toEqual([1, 2, 3]);
    // Ids that would collide if account and run were simply concatenated.
    tail.commit(batch(event("ab", "c", 1), event("a", "bc", 1), event("a", "bc", 2)));
    expect(ids(tail, "ab", "c", 0)).toEqual([1]);
    expect(ids(tail, "a", "bc", 0)).toEqual([1, 2]);
  });

  it("keeps at most maxEventsPerRun per run, the newest", () => {
    const tail = new LiveTail({ maxEventsPerRun: 100 });
    for (let from = 1; from <= 5_000; from += 250) tail.commit(batch(...run("acme", "r", range(250, from))));
    expect(tail.stats().events).toBe(100);
    expect(ids(tail, "acme", "r", 4_900)).toEqual(range(100, 4_901));
    expect(ids(tail, "acme", "r", 4_899)).toBeUndefined();
  });

  it("keeps at most maxBytes of bodies, dropping the least recently committed runs first", () => {
    const tail = new LiveTail({ maxBytes: 20_000 });
    for (let r = 0; r < 50; r++) tail.commit(batch(...run("acme", `r${r}`, range(20))));
    const { bytes, runs } = tail.stats();
    expect(bytes).toBeLessThanOrEqual(20_000);
    expect(runs).toBeLessThan(50);
    expect(ids(tail, "acme", "r49", 0)).toEqual(range(20));
    expect(ids(tail, "acme", "r0", 0)).toBeUndefined();
    // One run alone over the bound keeps its newest events.
    const one = new LiveTail({ maxBytes: 5_000 });
    one.commit(batch(...run("acme", "big", range(1_000))));
    expect(one.stats().bytes).toBeLessThanOrEqual(5_000);
    expect(ids(one, "acme", "big", 999)).toEqual([1_000]);
  });

  it("drops a finished run's events once the grace period has passed", () => {
    let now = 0;
    const tail = new LiveTail({ finishedGraceMs: 1_000, clock: () => now });
    tail.commit(batch(...run("acme", "done", range(3)), event("acme", "done", 4, "run.completed")));
    tail.commit(batch(...run("acme", "live", range(3))));
    expect(ids(tail, "acme", "done", 0)).toEqual([1, 2, 3, 4]);
    now = 1_500;
    tail.commit(batch(event("acme", "live", 4)));
    expect(ids(tail, "acme", "done", 0)).toBeUndefined();
    expect(ids(tail, "acme", "live", 0)).toEqual([1, 2, 3, 4]);
    expect(tail.stats()).toMatchObject({ runs: 1, events: 4 });
  });

  it("stays flat over a long stream of many runs", () => {
    const tail = new LiveTail({ maxEventsPerRun: 500, maxBytes: 200_000, finishedGraceMs: 0 });
    let peak = 0;
    for (let r = 0; r < 200; r++) {
      for (let from = 1; from <= 1_000; from += 100) tail.commit(batch(...run("acme", `run-${r % 7}-${r}`, range(100, from))));
      tail.commit(batch(event("acme", `run-${r % 7}-${r}`, 1_001, "run.completed")));
      peak = Math.max(peak, tail.stats().bytes);
    }
    expect(peak).toBeLessThanOrEqual(200_000);
    expect(tail.stats().runs).toBeLessThanOrEqual(1);
  });

  it("keeps accepted events until they are committed, whatever its bounds", () => {
    const tail = new LiveTail({ maxEventsPerRun: 10, maxBytes: 2_000 });
    const events = run("acme", "r", range(100));
    for (const e of events) tail.accept(prepareEvent(e));
    expect(ids(tail, "acme", "r", 0)).toEqual(range(100));
    expect(tail.committedThrough("acme", "r")).toBe(0);
    // Committed up to 50: those may go (bounds apply to them), the rest stays.
    const notice = tail.commit(batch(...events.slice(0, 50)));
    expect(notice.size).toBe(0); // every committed event was shown from the tail already
    expect(tail.committedThrough("acme", "r")).toBe(50);
    expect(ids(tail, "acme", "r", 50)).toEqual(range(50, 51));
    expect(ids(tail, "acme", "r", 0)).toBeUndefined();
    tail.commit(batch(...events.slice(50)));
    expect(tail.stats().events).toBeLessThanOrEqual(10);
    expect(ids(tail, "acme", "r", 99)).toEqual([100]);
  });

  it("names in a commit the runs whose streams must read again: events it did not hold, and finished runs", () => {
    const tail = new LiveTail();
    for (const e of run("acme", "held", range(3))) tail.accept(prepareEvent(e));
    const done = event("acme", "held", 4, "run.completed");
    tail.accept(prepareEvent(done));
    const notice = tail.commit(batch(...run("acme", "held", range(3)), done, ...run("acme", "unseen", range(2))));
    expect([...notice].map(([account, runs]) => [account, [...runs].sort()])).toEqual([["acme", ["held", "unseen"]]]);
    expect(ids(tail, "acme", "unseen", 0)).toEqual([1, 2]);
  });

  it("never drops accepted events for an older committed one, and names the run so its streams read the store", () => {
    const tail = new LiveTail();
    // 1..5 accepted, then the run starts afresh at 8 (6 and 7 were stored elsewhere).
    for (const e of run("acme", "r", [1, 2, 3, 4, 5, 8, 9])) tail.accept(prepareEvent(e));
    expect(ids(tail, "acme", "r", 7)).toEqual([8, 9]);
    expect(ids(tail, "acme", "r", 4)).toBeUndefined();
    // The commit of 1..5 arrives after the fresh start: 8, 9 stay, and the run is named.
    const notice = tail.commit(batch(...run("acme", "r", range(5))));
    expect(notice.get("acme")?.has("r")).toBe(true);
    expect(ids(tail, "acme", "r", 7)).toEqual([8, 9]);
    expect(tail.holdsAfter("acme", "r", 7)).toBe(true);
    expect(tail.holdsAfter("acme", "r", 5)).toBe(false);
    expect(tail.holdsAfter("acme", "r", 9)).toBe(false);
    expect(tail.holds("acme", "r")).toBe(true);
    expect(tail.holds("globex", "r")).toBe(false);
  });
});
