/**
 * 100 clients that never read (50 WebSocket, 50 SSE), opened by the bench's client process
 * (bench/peers/server-clients.ts, modes `ws-stall` and `sse-stall`) against a real server on a
 * 20,000-event run: half stored before they come, half written while they stall. The server must
 * cut every one of them (SSE: `live.sseDrainTimeoutMs`; WebSocket: `ws.slowTimeoutMs`, then
 * `ws.slowCloseGraceMs`), and its heap and RSS must come back within 20% of where they started
 * (RSS with the glibc settings the README recommends; see the test). The server
 * runs in this process, so its memory is this process's.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { emitCommitted, runEvents, startHarness, type Harness } from "./server-fixtures.js";

const CLIENTS_PER_KIND = 50;
const EVENTS = 20_000;

function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
}

const mb = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10;

/** Starts stalled clients in their own process; resolves once all are connected. */
function stalledClients(url: string, count: number, subscribe: string, mode: "ws-stall" | "sse-stall"): Promise<ChildProcess> {
  const script = join(import.meta.dirname, "../../bench/peers/server-clients.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script, url, String(count), "0", subscribe, mode], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`stalled clients (${mode}) exited ${code} before they were ready: ${out}`)));
  });
}

let h: Harness | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  await h?.close();
  h = undefined;
});

interface Figures {
  readonly start: NodeJS.MemoryUsage;
  readonly peak: { readonly rss: number; readonly heapUsed: number; readonly streams: number };
  readonly end: NodeJS.MemoryUsage;
}

/**
 * One wave: a 20,000-event run, half stored before 50 WebSocket and 50 SSE clients come (from
 * seq 0) and stop reading, half written while they stall; it ends when the server has cut every
 * one and their connections are gone.
 */
async function wave(server: Harness, runId: string): Promise<Figures> {
  const output = "y".repeat(1_000);
  const events = runEvents(runId, "default", (EVENTS - 2) / 2).map((e) => (e.type === "step.completed" ? { ...e, output } : e));
  expect(events).toHaveLength(EVENTS);
  await emitCommitted(server, events.slice(0, EVENTS / 2));
  collectGarbage();
  const start = process.memoryUsage();
  let peak = { rss: start.rss, heapUsed: start.heapUsed, streams: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = { rss: Math.max(peak.rss, m.rss), heapUsed: Math.max(peak.heapUsed, m.heapUsed), streams: Math.max(peak.streams, server.server.hub.size) };
  }, 50);
  const mine: ChildProcess[] = [];
  try {
    const wsUrl = `${server.url.replace(/^http/, "ws")}/api/ws`;
    const started = [
      stalledClients(wsUrl, CLIENTS_PER_KIND, JSON.stringify({ op: "subscribe", runId, after: 0 }), "ws-stall"),
      stalledClients(`${server.url}/api/runs/${runId}/stream?after=0`, CLIENTS_PER_KIND, "", "sse-stall"),
    ];
    for (const child of started) void child.then((c) => (mine.push(c), children.push(c)), () => undefined);
    await Promise.all(started);
    await emitCommitted(server, events.slice(EVENTS / 2));
    const deadline = Date.now() + 60_000;
    while (server.server.hub.size > 0) {
      if (Date.now() > deadline) throw new Error(`${server.server.hub.size} stalled streams still open after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The WebSocket connections go once their close grace is over.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  } finally {
    clearInterval(sampler);
    for (const child of mine) child.kill("SIGKILL");
  }
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 500));
  collectGarbage();
  return { start, peak, end: process.memoryUsage() };
}

function describeWave(name: string, { start, peak, end }: Figures): string {
  return (
    `${name}: ${peak.streams} streams open at the peak, all cut; server RSS ${mb(start.rss)} → peak ${mb(peak.rss)} → ${mb(end.rss)} MB, ` +
    `heap ${mb(start.heapUsed)} → peak ${mb(peak.heapUsed)} → ${mb(end.heapUsed)} MB (after GC)`
  );
}

describe("100 clients that never read a 20,000-event run", () => {
  it("are all cut, and the server's heap and RSS come back within 20% of the start", async () => {
    h = await startHarness({
      open: true,
      // The default timeouts (10 s), and a short close grace for WebSocket, to keep the test short.
      ws: { slowCloseGraceMs: 2_000 },
    });
    // Two waves, so a second burst shows whether the first left anything behind. The JS heap comes
    // back within 20% each time. RSS comes back too with the glibc settings the README recommends
    // (vitest.config.ts sets them for the test processes): without them glibc's growing mmap
    // threshold keeps the socket buffers of the burst in its heap (measured: 187 → 270 MB, then
    // 281 → 312; with them 182 → 145, then 188 → 162, the heap back at 40 MB each time).
    expect(process.env.MALLOC_MMAP_THRESHOLD_, "run under vitest.config.ts, which sets MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ (README, Live streams)").toBeDefined();
    const first = await wave(h, "mem-1");
    const second = await wave(h, "mem-2");
    console.log(describeWave("first wave (cold process)", first));
    console.log(describeWave("second wave", second));
    for (const { peak } of [first, second]) expect(peak.streams).toBeGreaterThanOrEqual(CLIENTS_PER_KIND);
    expect(first.end.heapUsed).toBeLessThanOrEqual(first.start.heapUsed * 1.2);
    expect(second.end.heapUsed).toBeLessThanOrEqual(second.start.heapUsed * 1.2);
    expect(first.end.rss).toBeLessThanOrEqual(first.start.rss * 1.2);
    expect(second.end.rss).toBeLessThanOrEqual(first.start.rss * 1.2);
  }, 240_000);
});
