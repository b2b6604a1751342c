import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createBus, type EventBus, type RuntrailEvent } from "runtrail";
import { createCloudEventsSink, DeliveryError, fromHttpMessage, type DeliveryFailure } from "runtrail/cloudevents";
import { afterEach, describe, expect, it } from "vitest";

type Behaviour = "ok" | "take-then-fail" | "fail" | "slow" | "throttle" | "hang";

interface Receiver {
  url: string;
  /** Every event taken, in arrival order, duplicates included. */
  received: RuntrailEvent[];
  requests: number;
  maxConcurrent: number;
  close(): Promise<void>;
}

/** A receiver that answers request n as `plan(n)` says, and records what it takes. */
async function startReceiver(plan: (n: number) => Behaviour): Promise<Receiver> {
  const state = { received: [] as RuntrailEvent[], requests: 0, active: 0, maxConcurrent: 0 };
  const hanging: ServerResponse[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const n = ++state.requests;
    state.active++;
    state.maxConcurrent = Math.max(state.maxConcurrent, state.active);
    response.on("close", () => state.active--);
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const take = (): void => void state.received.push(...fromHttpMessage({ headers: request.headers, body }));
      switch (plan(n)) {
        case "ok":
          take();
          return void response.writeHead(202).end();
        case "take-then-fail": // taken, but the answer says otherwise: the sink sends it again
          take();
          return void response.writeHead(503).end("overloaded");
        case "fail":
          return void response.writeHead(500).end("boom");
        case "throttle":
          return void response.writeHead(429, { "retry-after": "0" }).end();
        case "slow": // taken after the sink's timeout: it has given up on this answer and resends
          return void setTimeout(() => {
            take();
            response.writeHead(200).end();
          }, 250);
        case "hang":
          hanging.push(response);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    received: state.received,
    get requests() {
      return state.requests;
    },
    get maxConcurrent() {
      return state.maxConcurrent;
    },
    close: () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

/** Emits `perRun` events for each of `runs` runs, interleaved, waiting whenever the bus asks. */
async function emitRuns(bus: EventBus, runs: number, perRun: number): Promise<{ waited: number }> {
  let waited = 0;
  for (let i = 0; i < perRun; i++) {
    for (let r = 0; r < runs; r++) {
      const wait = bus.emit({ type: "x.tick", runId: `run-${r}`, workflow: { name: "load" }, data: { i } });
      if (wait !== undefined) {
        waited++;
        await wait;
      }
    }
  }
  return { waited };
}

describe("CloudEvents HTTP sink", () => {
  it("loses nothing and keeps each run's order against a receiver that fails, delays and double-takes", async () => {
    const plan: Behaviour[] = ["ok", "take-then-fail", "ok", "fail", "slow", "ok", "throttle", "ok"];
    const receiver = await startReceiver((n) => plan[n % plan.length]!);
    receivers.push(receiver);
    const bus = createBus();
    const failures: DeliveryFailure[] = [];
    const sink = createCloudEventsSink({
      bus,
      url: receiver.url,
      maxBatch: 25,
      maxInFlight: 3,
      maxBuffered: 60,
      requestTimeoutMs: 100,
      backoff: { initialDelayMs: 5, maxDelayMs: 20 },
      onError: (failure) => failures.push(failure),
    });
    const { waited } = await emitRuns(bus, 12, 40);
    await sink.close();

    const firstSeen = new Map<string, RuntrailEvent>();
    for (const event of receiver.received) if (!firstSeen.has(event.id)) firstSeen.set(event.id, event);
    expect(firstSeen.size).toBe(12 * 40);
    for (let r = 0; r < 12; r++) {
      const seqs = [...firstSeen.values()].filter((event) => event.runId === `run-${r}`).map((event) => event.seq);
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }
    expect(receiver.received.length).toBeGreaterThan(firstSeen.size); // the receiver did get duplicates
    expect(receiver.maxConcurrent).toBeLessThanOrEqual(3);
    expect(waited).toBeGreaterThan(0); // the producer was made to wait, not the events dropped
    const statuses = new Set(failures.map((f) => (f.error instanceof DeliveryError ? (f.error.status ?? "no answer") : "other")));
    expect(statuses).toEqual(new Set([503, 500, 429, "no answer"]));
    expect(failures.every((f) => f.kind === "retrying")).toBe(true);
    expect(sink.stats()).toMatchObject({ delivered: 480, givenUp: 0, pending: 0, failedAttempts: failures.length });
  });

  it("gives up a batch after maxAttempts, reporting it with its events", async () => {
    const receiver = await startReceiver(() => "fail");
    receivers.push(receiver);
    const bus = createBus();
    const failures: DeliveryFailure[] = [];
    const sink = createCloudEventsSink({ bus, url: receiver.url, maxAttempts: 3, backoff: { initialDelayMs: 1 }, onError: (f) => failures.push(f) });
    await emitRuns(bus, 1, 5);
    await sink.flush();
    expect(receiver.requests).toBe(3);
    expect(failures.map((f) => [f.kind, f.attempt])).toEqual([["retrying", 1], ["retrying", 2], ["gave-up", 3]]);
    expect(failures[2]!.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(sink.stats()).toMatchObject({ delivered: 0, givenUp: 5 });
    await sink.close();
  });

  it("on close, stops waiting at its deadline and reports what the receiver never took", async () => {
    const receiver = await startReceiver(() => "hang");
    receivers.push(receiver);
    const bus = createBus();
    const failures: DeliveryFailure[] = [];
    const sink = createCloudEventsSink({ bus, url: receiver.url, maxBatch: 2, maxInFlight: 1, requestTimeoutMs: 60_000, onError: (f) => failures.push(f) });
    await emitRuns(bus, 1, 5);
    const started = Date.now();
    await sink.close({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
    const givenUp = failures.filter((f) => f.kind === "gave-up").flatMap((f) => f.events.map((e) => e.seq));
    expect(givenUp.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
  });

  it("refuses a URL that is not one", () => {
    expect(() => createCloudEventsSink({ bus: createBus(), url: "not a url" })).toThrow(/Invalid URL/);
  });
});
