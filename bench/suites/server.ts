/**
 * The server, against a bare broadcast of the same messages (the limit), clients always in a
 * separate process (bench/peers/server-clients.ts):
 * - throughput: events fanned out over WebSocket to 1, 50 and 200 clients and over SSE to 50
 *   clients, as delivered messages/s;
 * - latency: emit-to-receive p50/p99 at a paced rate (10,000 events/s to 1 client, 1,000 events/s
 *   to 50 clients), the median of 5 samples taken in turn with the peers (a p99 of one sample on
 *   this shared 2-core machine swings by 5x);
 * - memory: the server process's RSS and heap during the 200-client run (start/peak/end).
 * Runtrail's path is the whole one: bus → store writer (SQLite, its defaults) → live tail and
 * stream wake-up → send. With `live: "committed"` (the default) a run stream gets each event after
 * its commit, so the store's commit latency is part of the latency (the rows' notes give the
 * emit-to-commit share, measured in the same runs); its fair limit is the peer "bare ws, on
 * commit": a bare broadcast of each batch as the same store writer commits it. With `live:
 * "accepted"` (opt-in, a peer) a run stream gets each event once the writer has taken it, before
 * its commit. Another peer is the bare broadcast in a process that also runs the same store writer
 * on the same events: how much of the gap to the bare broadcast is the store's (its write thread
 * and the garbage it makes compete with the clients for the 2 cores), not the server's. The server runs in this process, so "server memory" is this process's.
 *
 * On ratios above 100%: the bare broadcast writes each message to each socket as it is emitted
 * (one write per message per client, the naive limit the issue names), while Runtrail writes a
 * page of messages to a client in one socket write (WebSocket: the socket is corked while the page
 * is queued; SSE: one chunk per page), which also spares the client process many small reads.
 * 200 clients in one client process (on a 2-core machine) are bounded by the clients on both sides.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { createBus, type EventBus } from "../../src/index.js";
import { createStoreWriter, type StoreWriter, type StoreWriterOptions } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createServer, type LiveMode } from "../../src/server/index.js";
import { collectGarbage, type BenchRow } from "../harness.js";

const workflow = { name: "bench" };
/** The flush interval of the throughput cases: a small one, as a latency-minded deployment sets. */
const THROUGHPUT_FLUSH_MS = 5;

type ClientMode = "ws" | "sse" | "ws-latency";
interface ClientResult {
  ms: number;
  latency?: { p50: number; p99: number; n: number };
}

function clients(url: string, count: number, total: number, subscribe: string, mode: ClientMode): { ready: Promise<void>; done: Promise<ClientResult> } {
  const script = join(import.meta.dirname, "../peers/server-clients.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script, url, String(count), String(total), subscribe, mode], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  const done = new Promise<ClientResult>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) readyResolve();
    });
    child.on("exit", (code) => {
      const finished = /done ([\d.]+)/.exec(out);
      if (code !== 0 || finished === null) return reject(new Error(`clients exited ${code}: ${out}`));
      const latency = /latency ([\d.]+) ([\d.]+) (\d+)/.exec(out);
      resolve({ ms: Number(finished[1]), latency: latency === null ? undefined : { p50: Number(latency[1]), p99: Number(latency[2]), n: Number(latency[3]) } });
    });
  });
  return { ready, done };
}

/** A wall-clock time in ms with sub-ms precision, comparable across processes on one machine. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function event(i: number, stamped: boolean): Parameters<EventBus["emit"]>[0] {
  return { type: "step.completed", runId: "b", workflow, stepId: `s${i % 7}`, durationMs: 3, output: stamped ? { n: i, t: now() } : { n: i } };
}

/** Emits `total` events as fast as backpressure allows, yielding now and then so sends go out. */
async function burst(bus: EventBus, total: number): Promise<void> {
  for (let i = 0; i < total; i++) {
    const pressure = bus.emit(event(i, false));
    if (pressure !== undefined) await pressure;
    if (i % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Emits `total` events at `rate` per second, each stamped with its emit time. */
function paced(bus: EventBus, total: number, rate: number): Promise<void> {
  return new Promise((resolve) => {
    const start = performance.now();
    let emitted = 0;
    // A 1 ms timer and a catch-up count: the events due by now go out, so the mean rate holds even
    // when a tick comes late (which then shows as latency, on both sides alike).
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1_000));
      while (emitted < due) void bus.emit(event(emitted++, true));
      if (emitted === total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
}

interface Memory {
  rssStart: number;
  rssPeak: number;
  rssEnd: number;
  heapStart: number;
  heapPeak: number;
  heapEnd: number;
}


function sampleMemory(): { stop(): Memory } {
  const mb = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10;
  const first = process.memoryUsage();
  let rssPeak = first.rss;
  let heapPeak = first.heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rssPeak = Math.max(rssPeak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      const before = process.memoryUsage();
      rssPeak = Math.max(rssPeak, before.rss);
      heapPeak = Math.max(heapPeak, before.heapUsed);
      collectGarbage();
      const last = process.memoryUsage();
      return {
        rssStart: mb(first.rss),
        rssPeak: mb(rssPeak),
        rssEnd: mb(last.rss),
        heapStart: mb(first.heapUsed),
        heapPeak: mb(heapPeak),
        heapEnd: mb(last.heapUsed),
      };
    },
  };
}

/** A Runtrail server on a fresh SQLite store, run "b" started and committed. */
async function runtrailServer(writerOptions: StoreWriterOptions, live: LiveMode = "committed"): Promise<{ bus: EventBus; url: string; writer: StoreWriter; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-bench-server-"));
  const store = await openSqliteStore({ path: join(dir, "b.db") });
  const bus = createBus();
  const writer = createStoreWriter(bus, store, writerOptions);
  const server = await createServer({ store, bus, writer, live: { mode: live, pageSize: 1_000 }, onNotice: () => undefined });
  const url = await server.listen();
  await bus.emit({ type: "run.started", runId: "b", workflow });
  await writer.flush();
  return {
    bus,
    url,
    writer,
    async close() {
      await server.close();
      await writer.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const SUBSCRIBE = JSON.stringify({ op: "subscribe", runId: "b", after: 1 });

/**
 * A bare `ws` broadcast: each event serialised once and sent to every client as it is emitted.
 * With `store`, the same process also stores the events with Runtrail's SQLite store writer (at
 * its defaults), which the broadcast never waits for.
 */
async function bareWs(store = false): Promise<{ bus: EventBus; url: string; writer?: StoreWriter; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.once("listening", resolve));
  const port = (wss.address() as { port: number }).port;
  const bus = createBus();
  bus.onEvent((e) => {
    const text = `{"b":1,"type":"live","sub":"b","id":${e.seq},"event":${JSON.stringify(e)}}`;
    for (const client of wss.clients) client.send(text);
  });
  const closeWss = (): Promise<void> => new Promise((resolve) => wss.close(() => resolve()));
  if (!store) return { bus, url: `ws://127.0.0.1:${port}`, close: closeWss };
  const dir = mkdtempSync(join(tmpdir(), "runtrail-bench-bare-"));
  const sqlite = await openSqliteStore({ path: join(dir, "b.db") });
  const writer = createStoreWriter(bus, sqlite);
  return {
    bus,
    url: `ws://127.0.0.1:${port}`,
    writer,
    async close() {
      await closeWss();
      await writer.close();
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A bare `ws` broadcast of what the store commits: the same SQLite store writer (its defaults) as
 * Runtrail, and each committed batch sent to every client as the writer's commit listener gets it,
 * each event serialised once. A commit is asked for as soon as events are emitted (one flush in
 * flight at a time), as Runtrail's `committed` streams do, so the batch interval does not hold
 * them back. The fair limit of `live: "committed"`: nothing can show a committed event sooner.
 */
async function bareWsOnCommit(): Promise<{ bus: EventBus; url: string; writer: StoreWriter; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.once("listening", resolve));
  const port = (wss.address() as { port: number }).port;
  const bus = createBus();
  const dir = mkdtempSync(join(tmpdir(), "runtrail-bench-bare-commit-"));
  const sqlite = await openSqliteStore({ path: join(dir, "b.db") });
  const writer = createStoreWriter(bus, sqlite);
  writer.onCommit((batch) => {
    for (const { event } of batch.events) {
      const text = `{"b":1,"type":"live","sub":"b","id":${event.seq},"event":${JSON.stringify(event)}}`;
      for (const client of wss.clients) client.send(text);
    }
  });
  let flushing: Promise<void> | undefined;
  let again = false;
  const flushLoop = async (): Promise<void> => {
    do {
      again = false;
      await writer.flush();
    } while (again);
    flushing = undefined;
  };
  // After the emit returns, as Runtrail does: the writer counts the event in a listener of its own.
  bus.onEvent(() => {
    if (flushing === undefined) flushing = Promise.resolve().then(flushLoop);
    else again = true;
  });
  return {
    bus,
    url: `ws://127.0.0.1:${port}`,
    writer,
    async close() {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await writer.close();
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A bare `node:http` SSE broadcast: each event framed once and written to every response. */
async function bareSse(): Promise<{ bus: EventBus; url: string; close(): Promise<void> }> {
  const responses = new Set<ServerResponse>();
  const http = createHttpServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    response.write("retry: 1000\n\n");
    responses.add(response);
    response.on("close", () => responses.delete(response));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as { port: number }).port;
  const bus = createBus();
  bus.onEvent((e) => {
    const frame = `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`;
    for (const response of responses) response.write(frame);
  });
  return {
    bus,
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        for (const response of responses) response.destroy();
        http.close(() => resolve());
      }),
  };
}

type Transport = "ws" | "sse";

/** Delivered messages/s of a burst of `total` events to `count` clients; with memory if asked. */
async function throughput(side: "runtrail" | "bare", transport: Transport, count: number, total: number): Promise<{ rate: number; memory: Memory }> {
  const target = side === "bare" ? await (transport === "ws" ? bareWs() : bareSse()) : await runtrailServer({ batchSize: 1_000, flushIntervalMs: THROUGHPUT_FLUSH_MS });
  const url =
    side === "bare" ? target.url : transport === "ws" ? `${target.url.replace("http", "ws")}/api/ws` : `${target.url}/api/runs/b/stream?after=1`;
  collectGarbage();
  const memory = sampleMemory();
  const { ready, done } = clients(url, count, total, side === "runtrail" && transport === "ws" ? SUBSCRIBE : "", transport);
  await ready;
  await burst(target.bus, total);
  const { ms } = await done;
  const sampled = memory.stop();
  await target.close();
  return { rate: (total * count) / (ms / 1_000), memory: sampled };
}

interface Latency {
  p50: number;
  p99: number;
  /** Emit to the writer's commit listener: the store's share, for the sides that store. */
  commit?: { p50: number; p99: number };
}

function percentiles(values: number[]): { p50: number; p99: number } {
  values.sort((a, b) => a - b);
  const at = (p: number): number => values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? Number.NaN;
  return { p50: at(50), p99: at(99) };
}

/** What is measured for latency: the three bare peers and Runtrail in each live mode. */
type LatencySide = "bare" | "bare+store" | "bare+commit" | "accepted" | "committed";

async function latencyTarget(side: LatencySide): Promise<{ bus: EventBus; url: string; writer?: StoreWriter; close(): Promise<void> }> {
  if (side === "bare" || side === "bare+store") return bareWs(side === "bare+store");
  if (side === "bare+commit") return bareWsOnCommit();
  // The writer at its defaults (batches of 5,000 or 100 ms); `committed` streams ask for a commit
  // as soon as events are emitted, so the interval does not hold them back.
  const server = await runtrailServer({}, side);
  return { ...server, url: `${server.url.replace("http", "ws")}/api/ws` };
}

/** Emit-to-receive latency at `rate` events/s to `count` WebSocket clients for `seconds`. */
async function latency(side: LatencySide, count: number, rate: number, seconds: number): Promise<Latency> {
  const target = await latencyTarget(side);
  const total = rate * seconds;
  // Like the clients, the first tenth (a cold JIT on both sides) is left out.
  const commits: number[] = [];
  let seen = 0;
  const stopCommits = target.writer?.onCommit((batch) => {
    const at = now();
    for (const { event } of batch.events) {
      const stamp = (event as { output?: { t?: unknown } }).output?.t;
      if (typeof stamp === "number" && seen++ >= total / 10) commits.push(at - stamp);
    }
  });
  const runtrail = side === "accepted" || side === "committed";
  const { ready, done } = clients(target.url, count, total, runtrail ? SUBSCRIBE : "", "ws-latency");
  await ready;
  // What setting the server up left behind is collected now, not during the measured run: a
  // long-running server pays it once (both sides alike).
  collectGarbage();
  await paced(target.bus, total, rate);
  const result = await done;
  stopCommits?.();
  await target.close();
  if (result.latency === undefined) throw new Error("the clients reported no latency");
  return commits.length === 0 ? result.latency : { ...result.latency, commit: percentiles(commits) };
}

/** Samples of each side taken in turn, so a noisy spell of the machine falls on all of them. */
const LATENCY_SAMPLES = Number(process.env.RUNTRAIL_BENCH_SAMPLES ?? 5);
const LATENCY_SIDES: readonly LatencySide[] = ["bare", "bare+store", "bare+commit", "accepted", "committed"];

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** The median p50, p99 and commit share of each side over {@link LATENCY_SAMPLES} samples. */
async function latencies(count: number, rate: number, seconds: number): Promise<Map<LatencySide, { p50: number; p99: number; p99s: number[]; commitP50: number; commitP99: number }>> {
  const samples = new Map<LatencySide, Latency[]>(LATENCY_SIDES.map((side) => [side, []]));
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    for (const side of LATENCY_SIDES) {
      collectGarbage();
      samples.get(side)!.push(await latency(side, count, rate, seconds));
    }
  }
  return new Map(
    [...samples].map(([side, list]) => [
      side,
      {
        p50: median(list.map((l) => l.p50)),
        p99: median(list.map((l) => l.p99)),
        p99s: list.map((l) => round(l.p99)),
        commitP50: median(list.map((l) => l.commit?.p50 ?? Number.NaN)),
        commitP99: median(list.map((l) => l.commit?.p99 ?? Number.NaN)),
      },
    ]),
  );
}

const pct = (ours: number, limit: number): string => `${((ours / limit) * 100).toFixed(0)}%`;

/**
 * `RUNTRAIL_BENCH_SERVER=latency` (or `throughput`) runs one part alone, and
 * `RUNTRAIL_BENCH_SAMPLES=N` takes N latency samples per side: for a quick look while working.
 */
const PARTS = new Set((process.env.RUNTRAIL_BENCH_SERVER ?? "throughput,latency").split(","));

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // 100,000 events each, as the issue asks: to 200 clients that is 20 M messages (about 3 minutes
  // for the bare broadcast, whose unbounded send buffers also show in its memory row).
  const cases: { transport: Transport; count: number; total: number }[] = [
    { transport: "ws", count: 1, total: 100_000 },
    { transport: "ws", count: 50, total: 100_000 },
    { transport: "ws", count: 200, total: 100_000 },
    { transport: "sse", count: 50, total: 100_000 },
  ];
  for (const { transport, count, total } of PARTS.has("throughput") ? cases : []) {
    const limit = await throughput("bare", transport, count, total);
    const ours = await throughput("runtrail", transport, count, total);
    const clientsText = `${count} ${transport === "ws" ? "WebSocket" : "SSE"} client${count === 1 ? "" : "s"}`;
    rows.push({
      case: `${total.toLocaleString("en")} events to ${clientsText}`,
      metric: "delivered messages/s",
      unit: "msg/s",
      runtrail: Math.round(ours.rate),
      peers: {},
      limit: { name: transport === "ws" ? "bare ws broadcast" : "bare node:http SSE broadcast", value: Math.round(limit.rate) },
      higherIsBetter: true,
      note: `${pct(ours.rate, limit.rate)} of the bare broadcast (target ≥60%); Runtrail's path includes the SQLite store (flushIntervalMs ${THROUGHPUT_FLUSH_MS})`,
    });
    if (transport === "ws" && count === 200) {
      const m = ours.memory;
      const b = limit.memory;
      rows.push({
        case: `server memory during the 200-client run (start/peak/end after GC, clients still connected)`,
        metric: "peak RSS",
        unit: "MB",
        runtrail: m.rssPeak,
        peers: { "bare ws broadcast": b.rssPeak },
        note: `Runtrail RSS ${m.rssStart}/${m.rssPeak}/${m.rssEnd} MB, heap ${m.heapStart}/${m.heapPeak}/${m.heapEnd} MB; bare ws run: RSS ${b.rssStart}/${b.rssPeak}/${b.rssEnd} MB, heap ${b.heapStart}/${b.heapPeak}/${b.heapEnd} MB; target: flat`,
      });
    }
  }
  const paces = [
    { count: 1, rate: 10_000, seconds: 3 },
    { count: 50, rate: 1_000, seconds: 4 },
  ];
  for (const { count, rate, seconds } of PARTS.has("latency") ? paces : []) {
    const sides = await latencies(count, rate, seconds);
    const bare = sides.get("bare")!;
    const stored = sides.get("bare+store")!;
    const onCommit = sides.get("bare+commit")!;
    // `committed` is the default: Runtrail's figure; `accepted` (opt-in) is a peer.
    const ours = sides.get("committed")!;
    const accepted = sides.get("accepted")!;
    const what = `${rate.toLocaleString("en")} events/s to ${count} WebSocket client${count === 1 ? "" : "s"}, ${seconds} s, median of ${LATENCY_SAMPLES}`;
    for (const metric of ["p50", "p99"] as const) {
      rows.push({
        case: what,
        metric: `emit-to-receive ${metric}`,
        unit: "ms",
        runtrail: round(ours[metric]),
        peers: {
          "bare ws, on commit": round(onCommit[metric]),
          "bare ws + the same SQLite store writer": round(stored[metric]),
          'Runtrail, live: "accepted"': round(accepted[metric]),
        },
        limit: { name: "bare ws broadcast", value: round(bare[metric]) },
        note:
          metric === "p50"
            ? `live: "committed" (the default), the store writer at its defaults; "bare ws, on commit" broadcasts each batch the same writer commits`
            : `${(ours.p99 / onCommit.p99).toFixed(1)}x bare ws on commit p99 (target ≤2x); accepted ${(accepted.p99 / bare.p99).toFixed(1)}x bare ws; p99 samples: Runtrail ${ours.p99s.join(", ")}; bare on commit ${onCommit.p99s.join(", ")}; bare ${bare.p99s.join(", ")}; bare + store ${stored.p99s.join(", ")}; accepted ${accepted.p99s.join(", ")} (committed's emit-to-commit p50 ${round(ours.commitP50)} ms, p99 ${round(ours.commitP99)} ms; bare on commit's p50 ${round(onCommit.commitP50)}, p99 ${round(onCommit.commitP99)})`,
      });
    }
  }
  return rows;
}

function round(ms: number): number {
  return Math.round(ms * 1_000) / 1_000;
}
