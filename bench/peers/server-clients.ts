/**
 * The benchmark's clients, in their own process: N WebSocket clients that count event messages.
 * argv: url count total [subscribe-json]. Prints `ready` once all are connected (and subscribed),
 * then `done <ms>` with the time from the first message to the last client's last one.
 */
import WebSocket from "ws";

const [url, countText, totalText, subscribe] = process.argv.slice(2);
const count = Number(countText);
const total = Number(totalText);
let first = 0;
let finished = 0;
const sockets: WebSocket[] = [];
for (let i = 0; i < count; i++) {
  const ws = new WebSocket(url!);
  sockets.push(ws);
  let received = 0;
  ws.on("message", (data) => {
    const text = data.toString();
    if (!text.includes('"live"') && !text.includes('"history"') && !text.startsWith("{\"b\"")) return;
    if (first === 0) first = performance.now();
    if (++received === total && ++finished === count) {
      process.stdout.write(`done ${performance.now() - first}\n`);
      for (const s of sockets) s.terminate();
      process.exit(0);
    }
  });
  ws.on("open", () => {
    if (subscribe !== undefined && subscribe !== "") ws.send(subscribe);
    if (sockets.every((s) => s.readyState === WebSocket.OPEN)) setTimeout(() => process.stdout.write("ready\n"), 300);
  });
}
