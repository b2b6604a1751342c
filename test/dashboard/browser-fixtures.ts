/**
 * Browser tests of the dashboard: Debian's Chromium (`/usr/bin/chromium`) driven by
 * playwright-core against a real server (test/server/server-fixtures.ts) that serves the built
 * app. Each page records its long tasks (main-thread work over 50 ms) so a test can show that a
 * big run never froze it. Screenshots go to test/dashboard/artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { createBus, createControl, retryPolicy, workflow, type EventInput } from "runtrail";
import { createMemoryTokenStore, createServer, findDashboardRoot, type TokenStore } from "../../src/server/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import type { Harness } from "../server/server-fixtures.js";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = join(import.meta.dirname, "artifacts");

/**
 * A server with the dashboard over a fresh SQLite store, with API tokens for accounts acme and
 * globex, and a store writer that keeps fields up to 8 MiB (so huge outputs reach the page).
 */
export async function startDashboardServer(): Promise<Harness & { readonly tokenStore: TokenStore }> {
  const dir = mkdtempSync(join(tmpdir(), "runtrail-dashboard-"));
  const store = await openSqliteStore({ path: join(dir, "runtrail.db") });
  const bus = createBus();
  const writer = createStoreWriter(bus, store, { flushIntervalMs: 5, maxFieldBytes: 8 * 1024 * 1024 });
  const tokenStore = createMemoryTokenStore();
  const tokens = {
    acme: (await tokenStore.create({ accountId: "acme" })).token,
    acmeReadOnly: (await tokenStore.create({ accountId: "acme", readOnly: true })).token,
    globex: (await tokenStore.create({ accountId: "globex" })).token,
  };
  const server = await createServer({ store, bus, writer, auth: { tokens: tokenStore }, live: { heartbeatMs: 60_000 }, onNotice: () => undefined });
  const url = await server.listen({ host: "127.0.0.1", port: 0 });
  return {
    server, url, bus, store, writer, tokens, tokenStore,
    async close() {
      await server.close();
      await writer.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches Chromium, or fails saying how to install it and the app's build. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\` (.ci/run does this)`);
  if (findDashboardRoot() === undefined) throw new Error("the dashboard is not built: run `npm run build:dashboard` (npm test does it first)");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A page signed in with `token` (none: open mode), recording long tasks in `window.__longTasks`. */
export async function openPage(browser: Browser, token?: string, viewport = { width: 1440, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  // tsx (the bench's runner) compiles with keepNames: functions sent to the page call its `__name`.
  await context.addInitScript({ content: "globalThis.__name = globalThis.__name || ((f) => f);" });
  await context.addInitScript((apiToken: string | null) => {
    if (apiToken !== null && localStorage.getItem("runtrail.apiToken") === null) localStorage.setItem("runtrail.apiToken", apiToken);
    const tasks: number[] = [];
    (window as unknown as { __longTasks: number[] }).__longTasks = tasks;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push(entry.duration);
    }).observe({ type: "longtask", buffered: true });
  }, token ?? null);
  return context.newPage();
}

export async function longTasks(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.slice());
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A small workflow: fetch → (parse, enrich) → store. `enrich` fails once then succeeds, or
 * always fails when `broken`; each of its attempts first waits for `gate`.
 */
export function ordersWorkflow(options: { stepMs?: number; broken?: boolean; gate?: Promise<void> } = {}) {
  const ms = options.stepMs ?? 0;
  let enrichCalls = 0;
  return workflow<{ n: number }>("orders", { version: "3" })
    .vars({ stage: "new" })
    .step("fetch", async (ctx) => {
      await sleep(ms);
      ctx.vars.set("stage", "fetched");
      return Array.from({ length: ctx.input.n }, (_, i) => ({ id: i, amount: i * 10 }));
    })
    .step("parse", async (ctx) => {
      await sleep(ms);
      return ctx.steps.fetch.length;
    }, { needs: ["fetch"] })
    .step("enrich", async () => {
      await options.gate;
      await sleep(ms);
      enrichCalls += 1;
      if (options.broken === true || enrichCalls < 2) throw new Error(`enrichment service unavailable (call ${enrichCalls})`);
      return { ok: true };
    }, { needs: ["fetch"] })
    .step("store", async (ctx) => {
      await sleep(ms);
      ctx.vars.set("stage", "stored");
      return ctx.steps.parse;
    }, { needs: ["parse", "enrich"] })
    .build();
}

/** Starts `wf` in `accountId` on the harness's bus, with retries (3 attempts). */
export function startRun(h: Harness, wf: ReturnType<typeof ordersWorkflow>, accountId: string, n = 3) {
  const control = createControl();
  control.use(retryPolicy({ maxAttempts: 3, initialDelayMs: 50 }));
  return wf.start({ n }, { bus: h.bus, control, accountId });
}

/** Events of {@link bigRunEvents} around its iterations (3 events each). */
const BIG_RUN_FRAME_EVENTS = 13;

/** How many events {@link bigRunEvents} makes for `iterations` iterations (its last seq). */
export const bigRunEventCount = (iterations: number): number => iterations * 3 + BIG_RUN_FRAME_EVENTS;

/** The seq of the first iteration's `step.completed` (its output) in {@link bigRunEvents}. */
export const BIG_RUN_FIRST_OUTPUT_SEQ = 11;

/**
 * A big run's events, as the engine emits a foreach: step `load`, then loop `rows` whose body step
 * `item` runs `iterations` times (loop.iteration, step.started with its input, step.completed),
 * with waves, progress, run.completed, and the workflow's graph on run.started (load → rows ⊃ item),
 * so the view draws the real edges. `hugeOutputBytes` makes the first iteration's output that large.
 */
export function bigRunEvents(runId: string, accountId: string, iterations: number, options: { hugeOutputBytes?: number } = {}): EventInput[] {
  const workflow = { name: "bulk-import", version: "1" };
  const base = { runId, accountId, workflow };
  const graph = { steps: [{ id: "load", kind: "step" as const }, { id: "rows", kind: "foreach" as const, needs: ["load"] }, { id: "item", kind: "step" as const, in: ["rows"] }] };
  const events: EventInput[] = [
    { ...base, type: "run.started", totalSteps: 2, graph },
    { ...base, type: "wave.started", wave: 0, stepIds: ["load"] },
    { ...base, type: "step.started", stepId: "load" },
    { ...base, type: "step.completed", stepId: "load", durationMs: 5, output: { rows: iterations } },
    { ...base, type: "wave.completed", wave: 0, stepIds: ["load"], durationMs: 5 },
    { ...base, type: "wave.started", wave: 1, stepIds: ["rows"] },
    { ...base, type: "step.started", stepId: "rows" },
    { ...base, type: "loop.started", stepId: "rows", loopId: "rows", kind: "foreach", total: iterations },
  ];
  for (let i = 0; i < iterations; i++) {
    const output = i === 0 && options.hugeOutputBytes !== undefined ? { blob: "x".repeat(options.hugeOutputBytes) } : { row: i, total: i * 3 };
    events.push({ ...base, type: "loop.iteration", stepId: "rows", path: [i], loopId: "rows", iteration: { index: i, item: { row: i } } });
    events.push({ ...base, type: "step.started", stepId: "item", path: [i], input: { row: i } });
    events.push({ ...base, type: "step.completed", stepId: "item", path: [i], durationMs: 1, output });
  }
  events.push({ ...base, type: "loop.completed", stepId: "rows", loopId: "rows", iterations, durationMs: iterations });
  events.push({ ...base, type: "step.completed", stepId: "rows", durationMs: iterations, output: { rows: iterations } });
  events.push({ ...base, type: "wave.completed", wave: 1, stepIds: ["rows"], durationMs: iterations });
  events.push({ ...base, type: "progress.updated", progress: { completed: 2, failed: 0, skipped: 0, total: 2, percent: 100 } });
  events.push({ ...base, type: "run.completed", durationMs: iterations });
  return events;
}

/**
 * Waits until a run view has opened, and returns when (ms after navigation): the graph drawn with
 * its workflow's real edges and a node of step `item`, the timeline's rows, and the log's row of
 * seq `lastSeq`. Checked every animation frame, so the figure is at most a frame late.
 */
export function waitOpened(page: Page, lastSeq: number): Promise<number> {
  const selectors = ['[data-testid="run-graph"][data-edges="defined"] .react-flow__edge', '[data-step="item"]', "[data-step-key]", `[data-seq="${lastSeq}"]`];
  return page.evaluate(
    (all) =>
      new Promise<number>((resolve) => {
        const look = (): void => {
          if (all.every((selector) => document.querySelector(selector) !== null)) resolve(performance.now());
          else requestAnimationFrame(look);
        };
        look();
      }),
    selectors,
  );
}
