/**
 * A server with no writer of its own streams runs that a worker publishes to NATS and a collector
 * stores: woken by the collector's commit notices over NATS alone (polling is off), live, to the
 * end, and resumed by `Last-Event-ID` across a collector restart with no gap and no duplicate.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createBus, type EventInput } from "runtrail";
import { createNatsPublisher, natsCommitSignal, startNatsCollector } from "runtrail/nats";
import { createServer } from "runtrail/server";
import { STORES } from "../../store/store-fixtures.js";
import { readSse } from "../../server/server-fixtures.js";
import { natsConnect, range, sleep, testStream, until } from "./nats-fixtures.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const workflow = { name: "remote" };
function runEvents(runId: string, steps: number): EventInput[] {
  const events: EventInput[] = [{ type: "run.started", runId, workflow }];
  for (let i = 0; i < steps; i++) events.push({ type: "step.completed", runId, workflow, stepId: `s${i}`, durationMs: 1 });
  events.push({ type: "run.completed", runId, workflow, durationMs: steps });
  return events;
}

for (const factory of STORES) {
  describe(`a server fed over NATS (${factory.name})`, () => {
    async function setup() {
      const nc = await natsConnect();
      cleanups.push(() => nc.close());
      const names = await testStream(nc);
      cleanups.push(() => names.dispose());
      const opened = await factory.open();
      cleanups.push(() => opened.dispose());
      const collectorOptions = { stream: names.stream, prefix: names.prefix, durable: names.durable, commitSubject: names.commitSubject, writer: { flushIntervalMs: 5 } };
      let collector = await startNatsCollector(nc, opened.store, collectorOptions);
      cleanups.push(() => collector.close());
      const restartCollector = async (between: () => Promise<void>): Promise<void> => {
        await collector.close();
        await between();
        collector = await startNatsCollector(nc, opened.store, collectorOptions);
      };
      // The server's store is another connection onto the same data, as another process's would be.
      const serverStore = await opened.reopen();
      const server = await createServer({ store: serverStore, live: { pollIntervalMs: 3_600_000, signals: [(hub) => natsCommitSignal(nc, hub, { subject: names.commitSubject })] }, onNotice: () => undefined });
      cleanups.push(() => server.close());
      const url = await server.listen();
      const bus = createBus();
      const publisher = createNatsPublisher(bus, nc, { prefix: names.prefix });
      cleanups.push(() => publisher.close());
      const storedUpTo = (runId: string, seq: number): Promise<void> => until(async () => (await serverStore.lastSeq("default", runId)) >= seq, `${runId} stored up to ${seq}`);
      return { url, bus, publisher, restartCollector, storedUpTo };
    }

    it("streams a run published by another bus live, in order, to its end", async () => {
      const { url, bus, storedUpTo } = await setup();
      const events = runEvents("live-1", 100);
      void bus.emit(events[0]!);
      await storedUpTo("live-1", 1);
      const reading = readSse(`${url}/api/runs/live-1/stream`, { timeoutMs: 20_000 });
      await sleep(200);
      for (const [i, event] of events.slice(1).entries()) {
        void bus.emit(event);
        if (i % 10 === 0) await sleep(5);
      }
      const messages = await reading;
      expect(messages.filter((m) => m.kind === "message").map((m) => m.data.seq)).toEqual(range(102));
      expect(messages.at(-1)?.kind).toBe("end");
    }, 40_000);

    it("resumes by Last-Event-ID across a collector restart, no gap, no duplicate", async () => {
      const { url, bus, publisher, restartCollector, storedUpTo } = await setup();
      const events = runEvents("resume-1", 200);
      for (const event of events.slice(0, 80)) void bus.emit(event);
      await storedUpTo("resume-1", 80);
      const first = await readSse(`${url}/api/runs/resume-1/stream`, { until: (m) => m.length === 50, timeoutMs: 20_000 });
      const lastEventId = first.at(-1)!.id;
      // The collector stops; the worker publishes on; a new collector takes over the consumer.
      await restartCollector(async () => {
        for (const event of events.slice(80, 150)) void bus.emit(event);
        await publisher.flush();
      });
      const reading = readSse(`${url}/api/runs/resume-1/stream`, { lastEventId, timeoutMs: 20_000 });
      for (const event of events.slice(150)) void bus.emit(event);
      const rest = await reading;
      const seqs = [...first, ...rest].filter((m) => m.kind === "message").map((m) => m.data.seq);
      expect(seqs).toEqual(range(202));
      expect(rest.at(-1)?.kind).toBe("end");
    }, 40_000);
  });
}
