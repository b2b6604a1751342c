/**
 * A real server on 127.0.0.1 over a SQLite store in a temporary directory, a bus and a store
 * writer, with API tokens for two accounts; and small SSE and WebSocket clients built on the
 * `eventsource` and `ws` packages.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventSource } from "eventsource";
import WebSocket from "ws";
import { createBus, type EventBus, type EventInput } from "runtrail";
import { createStoreWriter, type EventStore, type StoreWriter, type StoreWriterOptions } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createMemoryTokenStore, createServer, type RuntrailServer, type ServerOptions, type StartableWorkflow } from "../../src/server/index.js";

export interface Harness {
  readonly server: RuntrailServer;
  readonly url: string;
  readonly bus: EventBus;
  readonly store: EventStore;
  readonly writer: StoreWriter;
  /** API tokens: acme (read-write), acme read-only, globex (read-write). */
  readonly tokens: { readonly acme: string; readonly acmeReadOnly: string; readonly globex: string };
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<Omit<ServerOptions, "store" | "bus" | "writer">> {
  readonly open?: boolean;
  readonly workflows?: readonly StartableWorkflow[];
  /** Wraps the store the server reads through (the writer writes to the store itself). */
  readonly serveStore?: (store: EventStore) => EventStore;
  /** Wraps the store the writer writes to (the server reads the store itself). */
  readonly writeStore?: (store: EventStore) => EventStore;
  /** Options of the harness's store writer (e.g. `onError`). */
  readonly writerOptions?: StoreWriterOptions;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-server-"));
  const store = await openSqliteStore({ path: join(dir, "runtrail.db") });
  const bus = createBus();
  const writer = createStoreWriter(bus, options.writeStore?.(store) ?? store, { flushIntervalMs: 5, ...options.writerOptions });
  const tokenStore = createMemoryTokenStore();
  const tokens = {
    acme: (await tokenStore.create({ accountId: "acme" })).token,
    acmeReadOnly: (await tokenStore.create({ accountId: "acme", readOnly: true })).token,
    globex: (await tokenStore.create({ accountId: "globex" })).token,
  };
  const server = await createServer({
    onNotice: () => undefined,
    ...options,
    live: { heartbeatMs: 60_000, ...options.live },
    auth: { ...options.auth, ...(options.open === true ? {} : { tokens: tokenStore }) },
    store: options.serveStore?.(store) ?? store,
    bus,
    writer,
  });
  const url = await server.listen({ host: "127.0.0.1", port: 0 });
  return {
    server,
    url,
    bus,
    store,
    writer,
    tokens,
    async close() {
      await server.close();
      await writer.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const wf = { name: "etl" };

/** A run's events: run.started, `steps` × (step.started, step.completed), then run.completed if `finish`. */
export function runEvents(runId: string, accountId: string, steps: number, finish = true): EventInput[] {
  const events: EventInput[] = [{ type: "run.started", runId, accountId, workflow: wf }];
  for (let i = 0; i < steps; i++) {
    events.push({ type: "step.started", runId, accountId, workflow: wf, stepId: `s${i}` });
    events.push({ type: "step.completed", runId, accountId, workflow: wf, stepId: `s${i}`, durationMs: 1 });
  }
  if (finish) events.push({ type: "run.completed", runId, accountId, workflow: wf, durationMs: steps });
  return events;
}

/** Emits the events and waits until they are committed. */
export async function emitCommitted(h: Harness, events: readonly EventInput[]): Promise<void> {
  for (const event of events) await h.bus.emit(event);
  await h.writer.flush();
}

/** Emits the events as a live run would: a pause of 1 ms every `every` events, so readers interleave. */
export async function emitPaced(h: Harness, events: readonly EventInput[], every = 20): Promise<void> {
  let i = 0;
  for (const event of events) {
    await h.bus.emit(event);
    if (++i % every === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A JSON request; returns status and parsed body. */
export async function call(h: Harness, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = token === undefined ? {} : auth(token);
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(h.url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** One SSE message as the client saw it. */
export interface SseMessage {
  readonly kind: "message" | "end";
  readonly id: string;
  readonly data: Record<string, unknown>;
}

/**
 * Reads an SSE stream with the `eventsource` client until `until` holds (or `end` arrives).
 * `lastEventId` is sent as the `Last-Event-ID` header, as a browser's reconnect would.
 */
export function readSse(
  url: string,
  options: { token?: string; lastEventId?: string; until?: (messages: readonly SseMessage[]) => boolean; timeoutMs?: number } = {},
): Promise<SseMessage[]> {
  return new Promise((resolve, reject) => {
    const messages: SseMessage[] = [];
    const es = new EventSource(url, {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: {
            ...init.headers,
            ...(options.token === undefined ? {} : auth(options.token)),
            ...(options.lastEventId === undefined ? {} : { "last-event-id": options.lastEventId }),
          },
        }),
    });
    const timer = setTimeout(() => finish(new Error(`SSE timeout after ${messages.length} messages`)), options.timeoutMs ?? 10_000);
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      es.close();
      if (error === undefined) resolve(messages);
      else reject(error);
    };
    const check = (): void => {
      if (options.until?.(messages) === true) finish();
    };
    es.onmessage = (event) => {
      messages.push({ kind: "message", id: event.lastEventId, data: JSON.parse(event.data as string) as Record<string, unknown> });
      check();
    };
    es.addEventListener("end", (event) => {
      messages.push({ kind: "end", id: event.lastEventId, data: JSON.parse(event.data as string) as Record<string, unknown> });
      finish();
    });
    es.onerror = (event) => {
      if (es.readyState === EventSource.CLOSED) finish(new Error(`SSE failed: ${(event as { code?: number }).code ?? "?"} ${(event as { message?: string }).message ?? ""}`));
    };
  });
}

/** A message from the server over WebSocket. */
export type WsMessage = Record<string, unknown> & { type: string };

/** A `ws` client that records every message and can wait for one. */
export class WsClient {
  readonly messages: WsMessage[] = [];
  private waiters: (() => void)[] = [];
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(data.toString()) as WsMessage);
      this.wake();
    });
    ws.on("close", (code) => {
      this.closeCode = code;
      this.wake();
    });
  }

  static connect(url: string, token?: string, query = ""): Promise<WsClient> {
    const ws = new WebSocket(url.replace(/^http/, "ws") + "/api/ws" + query, token === undefined ? {} : { headers: auth(token) });
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new WsClient(ws)));
      ws.once("unexpected-response", (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
      ws.once("error", reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Waits until `predicate` holds over the messages so far. */
  async until(predicate: (messages: readonly WsMessage[]) => boolean, timeoutMs = 10_000): Promise<WsMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (this.closeCode !== undefined) throw new Error(`closed (${this.closeCode}) after ${this.messages.length} messages`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout after ${this.messages.length} messages: ${JSON.stringify(this.messages.slice(-3))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages;
  }

  /** Messages of one subscription carrying events, with the event's seq. */
  events(sub: string): { type: string; id: number; seq: number }[] {
    return this.messages
      .filter((m) => m.sub === sub && (m.type === "history" || m.type === "live"))
      .map((m) => ({ type: m.type, id: m.id as number, seq: (m.event as { seq: number }).seq }));
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** 1..n */
export const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from);
