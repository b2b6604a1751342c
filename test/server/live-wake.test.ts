/**
 * How soon a live event reaches its streams, and what the WebSocket sink keeps of it:
 * - run streams are woken before the event loop moves on from the emit (no phase of the loop,
 *   where the writer's commit answers and scheduled GC run, lies between an emit and its send),
 *   and a burst of events is still one wake-up;
 * - an encoded message is shared by the streams that send it in the same round, then forgotten.
 */
import { describe, expect, it } from "vitest";
import { createBus } from "runtrail";
import { createStoreWriter } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { writerCommitSignal } from "../../src/server/live/commit-signals.js";
import { LiveTail } from "../../src/server/live/live-tail.js";
import { StreamHub } from "../../src/server/live/stream-hub.js";
import type { StreamItem } from "../../src/server/live/stream-item.js";
import { wirePage } from "../../src/server/ws/ws-frames.js";
import { runEvents } from "./server-fixtures.js";

const nextPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("live wake-up", () => {
  it("wakes a run's streams once per burst, before the event loop's next phase", async () => {
    const store = await openSqliteStore({ path: ":memory:" });
    const bus = createBus();
    const writer = createStoreWriter(bus, store);
    const hub = new StreamHub();
    const tail = new LiveTail();
    const signal = writerCommitSignal(writer, hub, { bus, tail });
    const waiter = hub.register("acme", "r");
    const abort = new AbortController();
    try {
      const order: string[] = [];
      let wakes = 0;
      // As a stream does: clear `dirty` (it has read), then wait again.
      const count = (outcome: string): void => {
        if (outcome !== "woken") return;
        wakes++;
        order.push("woken");
        waiter.dirty = false;
        void waiter.wait(60_000, abort.signal).then(count);
      };
      void waiter.wait(60_000, abort.signal).then(count);
      // A burst of 20 events emitted in one go, as an engine step or the benchmark's timer does.
      for (const event of runEvents("r", "acme", 10, false).slice(0, 20)) void bus.emit(event);
      // Scheduled after the emits: with a wake-up on `setImmediate` this ran first.
      setImmediate(() => order.push("next phase"));
      await nextPhase();
      await nextPhase();
      expect(order).toEqual(["woken", "next phase"]);
      expect(wakes).toBe(1);
      expect(tail.take("acme", "r", 0, 100)?.items.map((item) => item.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      abort.abort();
      waiter.dispose();
      await signal.close();
      await writer.close();
      await store.close();
    }
  });
});

describe("encoded WebSocket pages", () => {
  const item = (id: number, body = `{"seq":${id}}`): StreamItem => ({ id, event: { type: "run.started" } as StreamItem["event"], body });

  /** The payloads of a buffer of unmasked text frames. */
  function frames(data: Buffer): string[] {
    const out: string[] = [];
    for (let at = 0; at < data.length; ) {
      expect(data[at]).toBe(0x81);
      let length = data[at + 1]!;
      let start = at + 2;
      if (length === 126) [length, start] = [data.readUInt16BE(at + 2), at + 4];
      else if (length === 127) [length, start] = [data.readUInt32BE(at + 2) * 2 ** 32 + data.readUInt32BE(at + 6), at + 10];
      out.push(data.subarray(start, start + length).toString());
      at = start + length;
    }
    return out;
  }

  it("are text frames of each message, shared within a round of sends and forgotten after it", async () => {
    const head = '{"type":"live","sub":"r","id":';
    const big = `{"seq":9,"x":"${"é".repeat(40_000)}"}`;
    const page = [item(7), item(8), item(9, big)];
    const bytes = wirePage(page, head);
    expect(frames(bytes)).toEqual([`${head}7,"event":{"seq":7}}`, `${head}8,"event":{"seq":8}}`, `${head}9,"event":${big}}`]);
    // Another stream of the same subscription name in the same round: the same bytes, not a copy.
    expect(wirePage(page, head)).toBe(bytes);
    // Another name, or another page from the same item, is encoded for itself.
    expect(frames(wirePage(page, '{"type":"live","sub":"s","id":'))[0]).toBe('{"type":"live","sub":"s","id":7,"event":{"seq":7}}');
    expect(frames(wirePage(page.slice(0, 1), head))).toEqual([`${head}7,"event":{"seq":7}}`]);
    await nextPhase();
    // The round is over: the item (which the live tail may keep for a while) holds no buffer.
    expect(page[0]!.wire).toBeUndefined();
    const again = wirePage(page, head);
    expect(again).not.toBe(bytes);
    expect(again.equals(bytes)).toBe(true);
  });
});
