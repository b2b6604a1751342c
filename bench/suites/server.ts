/**
 * The server: 100,000 events fanned out over WebSocket to 1 and 50 clients (clients in a separate
 * process), delivered messages/s, against a bare `ws` broadcast of the same messages (the limit).
 * Runtrail's path is the whole one: bus → store writer (SQLite) → commit → stream wake-up →
 * store read → send.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { createBus } from "../../src/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createServer } from "../../src/server/index.js";
import type { BenchRow } from "../harness.js";

const TOTAL = 100_000;
const workflow = { name: "bench" };

function clients(url: string, count: number, subscribe: string): Promise<{ ready: Promise<void>; done: Promise<number> }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../peers/server-clients.ts"), url, String(count), String(TOTAL), subscribe], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  const done = new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) readyResolve();
      const match = /done ([\d.]+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.on("exit", (code) => code !== 0 && reject(new Error(`clients exited ${code}`)));
  });
  return Promise.resolve({ ready, done });
}

async function runtrail(count: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-bench-server-"));
  const store = await openSqliteStore({ path: join(dir, "b.db") });
  const bus = createBus();
  const writer = createStoreWriter(bus, store, { batchSize: 1_000, flushIntervalMs: 5 });
  const server = await createServer({ store, bus, writer, onNotice: () => undefined, pageSize: 1_000 });
  const url = await server.listen();
  await bus.emit({ type: "run.started", runId: "b", workflow });
  await writer.flush();
  const { ready, done } = await clients(url.replace("http", "ws") + "/api/ws", count, JSON.stringify({ op: "subscribe", runId: "b", after: 1 }));
  await ready;
  for (let i = 0; i < TOTAL; i++) {
    const pressure = bus.emit({ type: "step.completed", runId: "b", workflow, stepId: `s${i % 7}`, durationMs: 3, output: { n: i } });
    if (pressure !== undefined) await pressure;
    if (i % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const ms = await done;
  await server.close();
  await writer.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return (TOTAL * count) / (ms / 1_000);
}

async function bare(count: number): Promise<number> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.once("listening", resolve));
  const port = (wss.address() as { port: number }).port;
  const { ready, done } = await clients(`ws://127.0.0.1:${port}`, count, "");
  await ready;
  const bus = createBus();
  bus.onEvent((event) => {
    const text = `{"b":1,"type":"live","sub":"b","id":${event.seq},"event":${JSON.stringify(event)}}`;
    for (const client of wss.clients) client.send(text);
  });
  for (let i = 0; i < TOTAL; i++) {
    void bus.emit({ type: "step.completed", runId: "b", workflow, stepId: `s${i % 7}`, durationMs: 3, output: { n: i } });
    if (i % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const ms = await done;
  await new Promise((resolve) => wss.close(resolve));
  return (TOTAL * count) / (ms / 1_000);
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const count of [1, 50]) {
    const limit = await bare(count);
    const ours = await runtrail(count);
    rows.push({
      case: `${TOTAL.toLocaleString("en")} events to ${count} WebSocket client${count === 1 ? "" : "s"}`,
      metric: "delivered messages/s",
      unit: "msg/s",
      runtrail: Math.round(ours),
      peers: {},
      limit: { name: "bare ws broadcast", value: Math.round(limit) },
      higherIsBetter: true,
      note: `${((ours / limit) * 100).toFixed(0)}% of the bare broadcast; Runtrail's path includes the SQLite store`,
    });
  }
  return rows;
}
