/**
 * The benchmark's clients, in their own process, so their parsing never competes with the server
 * for its event loop. argv: `url count total [subscribe-json] [mode]`, mode one of:
 * - `ws` (default): N WebSocket clients counting event messages;
 * - `sse`: N `node:http` clients counting SSE frames that carry an `id:`;
 * - `ws-latency`: like `ws`, and each message's receive time minus the emit time it carries
 *   (`"t":<ms>` in the event's data, taken from `performance.timeOrigin + performance.now()` in
 *   the server process) is recorded.
 * - `ws-stall` / `sse-stall`: N clients that subscribe (WebSocket) or open the SSE stream `url`
 *   and then never read (their sockets are paused): what a server must not hold on to for ever.
 *   They stay until this process is killed; `total` is ignored, and for `sse-stall` the
 *   `subscribe` argument is an API token sent as Bearer (empty: none).
 * Prints `ready` once all are connected (and subscribed), then `done <ms>` with the time from the
 * first message to the last client's last one, and in latency mode `latency <p50> <p99> <n>` (ms).
 */
import { get } from "node:http";
import { connect } from "node:net";
import WebSocket from "ws";

const [url, countText, totalText, subscribe, modeText] = process.argv.slice(2);
const count = Number(countText);
const total = Number(totalText);
const mode = modeText ?? "ws";
let first = 0;
let finished = 0;
let connected = 0;
const latencies: number[] = [];
const closers: (() => void)[] = [];
// The first events of a paced run meet a cold JIT on both sides; they are not the steady state.
const warmup = Math.floor(total / 10);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function finish(): void {
  const lines = [`done ${performance.now() - first}`];
  if (mode === "ws-latency") {
    latencies.sort((a, b) => a - b);
    lines.push(`latency ${percentile(latencies, 50)} ${percentile(latencies, 99)} ${latencies.length}`);
  }
  process.stdout.write(lines.join("\n") + "\n", () => {
    for (const close of closers) close();
    process.exit(0);
  });
}

function onConnected(): void {
  if (++connected === count) setTimeout(() => process.stdout.write("ready\n"), 300);
}

const EMIT_TIME = /"t":([\d.]+)/;

function wsClient(): void {
  const ws = new WebSocket(url!);
  closers.push(() => ws.terminate());
  let received = 0;
  ws.on("message", (data) => {
    const text = data.toString();
    if (!text.includes('"live"') && !text.includes('"history"') && !text.startsWith('{"b"')) return;
    if (mode === "ws-latency") {
      const now = performance.timeOrigin + performance.now();
      const match = EMIT_TIME.exec(text);
      if (match !== null && received >= warmup) latencies.push(now - Number(match[1]));
    }
    if (first === 0) first = performance.now();
    if (++received === total && ++finished === count) finish();
  });
  ws.on("open", () => {
    if (subscribe !== undefined && subscribe !== "") ws.send(subscribe);
    onConnected();
  });
}

function sseClient(): void {
  const request = get(url!, (response) => {
    onConnected();
    let received = 0;
    let tail = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      // Frames end with a blank line and may straddle chunks: only whole frames are counted.
      const text = tail + chunk;
      const end = text.lastIndexOf("\n\n");
      if (end < 0) {
        tail = text;
        return;
      }
      tail = text.slice(end + 2);
      let frames = 0;
      for (let at = text.indexOf("id: "); at >= 0 && at < end; at = text.indexOf("id: ", at + 4)) {
        if (at === 0 || text.charCodeAt(at - 1) === 10) frames++;
      }
      if (frames === 0) return;
      if (first === 0) first = performance.now();
      received += frames;
      if (received >= total && received - frames < total && ++finished === count) finish();
    });
  });
  closers.push(() => request.destroy());
}

/** A WebSocket client that subscribes, then never reads again. */
function wsStalledClient(): void {
  const ws = new WebSocket(url!);
  ws.on("open", () => {
    if (subscribe !== undefined && subscribe !== "") ws.send(subscribe);
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    onConnected();
  });
  ws.on("error", () => undefined);
}

/** An SSE request on a raw socket that is never read. */
function sseStalledClient(): void {
  const target = new URL(url!);
  const socket = connect(Number(target.port), target.hostname, () => {
    socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nAccept: text/event-stream\r\n${subscribe === undefined || subscribe === "" ? "" : `Authorization: Bearer ${subscribe}\r\n`}\r\n`);
    socket.pause();
    onConnected();
  });
  socket.on("error", () => undefined);
}

// A paused socket is no active handle: without this the process would exit and close them all.
if (mode.endsWith("-stall")) setInterval(() => undefined, 60_000);

for (let i = 0; i < count; i++) {
  if (mode === "sse") sseClient();
  else if (mode === "ws-stall") wsStalledClient();
  else if (mode === "sse-stall") sseStalledClient();
  else wsClient();
}
