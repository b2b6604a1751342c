/**
 * The local NATS server for the bridge tests, and names of their own per test (a stream, a
 * subject prefix, a commit subject, a durable), so tests never collide; `dispose` deletes the stream.
 */
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { RuntrailEvent } from "../../../src/index.js";
import { ensureNatsStream } from "../../../src/bridges/nats/index.js";

export const NATS_URL = process.env.RUNTRAIL_NATS_URL ?? "127.0.0.1:4222";
export const NATS_HINT =
  "NATS with JetStream is not reachable at 127.0.0.1:4222. Start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log";

/** Connects to the test NATS server (or `servers`), failing with how to start it. */
export async function natsConnect(options: Partial<NodeConnectionOptions> = {}): Promise<NatsConnection> {
  try {
    return await connect({ servers: NATS_URL, timeout: 3_000, ...options });
  } catch (error) {
    throw new Error(`${NATS_HINT} (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Names of one test's own. */
export interface TestNames {
  readonly stream: string;
  readonly prefix: string;
  readonly commitSubject: string;
  readonly durable: string;
}

export function testNames(): TestNames {
  const id = Math.random().toString(36).slice(2, 10);
  return { stream: `RT_TEST_${id}`, prefix: `rt_test_${id}.ev`, commitSubject: `rt_test_${id}.commit`, durable: `collector-${id}` };
}

/** A stream of the test's own (in memory), and what deletes it. */
export async function testStream(nc: NatsConnection, names = testNames()): Promise<TestNames & { dispose(): Promise<void> }> {
  await ensureNatsStream(nc, { name: names.stream, prefix: names.prefix, storage: "memory", duplicateWindowMs: 60_000 });
  return {
    ...names,
    async dispose() {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(names.stream).catch(() => false);
    },
  };
}

/**
 * A TCP proxy the test owns in front of NATS: `cut()` drops every connection through it and
 * refuses new ones until `restore()`, as a network partition would.
 */
export class NatsProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  /** Listens (on a free port the first time, the same one after a cut); returns `host:port`. */
  async start(): Promise<string> {
    const [host, port] = NATS_URL.split(":") as [string, string];
    const server = createServer((client) => {
      const upstream = netConnect(Number(port), host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("error", () => undefined);
        socket.on("close", () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return `127.0.0.1:${this.port}`;
  }

  /** Drops every connection and stops listening. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
  }

  async restore(): Promise<void> {
    await this.start();
  }

  close(): Promise<void> {
    return this.cut();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds, failing with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Every message of `stream`, in stream order, as the events they carry. */
export async function streamEvents(nc: NatsConnection, stream: string): Promise<RuntrailEvent[]> {
  const jsm = await jetstreamManager(nc);
  const total = (await jsm.streams.info(stream)).state.messages;
  const out: RuntrailEvent[] = [];
  if (total === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.fetch({ max_messages: total, expires: 5_000 });
  for await (const msg of messages) {
    out.push(msg.json<RuntrailEvent>());
    if (out.length === total) break;
  }
  return out;
}

/** Seqs per run, in the order given. */
export function seqsByRun(events: readonly { runId: string; seq: number }[]): Map<string, number[]> {
  const runs = new Map<string, number[]>();
  for (const { runId, seq } of events) {
    const seqs = runs.get(runId) ?? [];
    seqs.push(seq);
    runs.set(runId, seqs);
  }
  return runs;
}

export const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from);

