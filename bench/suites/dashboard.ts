/// <reference lib="dom" />
// (code inside page.evaluate runs in the browser)
/**
 * The dashboard in Chromium on a 20,000-event run, beside a naive page (the peer: every event
 * fetched and drawn as one table row, as a log page without virtualisation does) and the API
 * alone (the limit: fetching the data the run view needs, without a browser):
 * - open: from navigation to the graph (with its real edges), the timeline and the latest log row
 *   on screen, with its phases (ms after navigation: the view's code in, the run's overview in,
 *   the first render of the run view) in the note, and the API's own read time as the limit;
 * - scroll: frame times (p95) while the log scrolls four screens per frame from the end to the start.
 * Median of RUNTRAIL_BENCH_SAMPLES samples (default 3), the contenders taken in turn.
 */
import type { Browser, Page } from "playwright-core";
import { emitCommitted } from "../../test/server/server-fixtures.js";
import { bigRunEventCount, bigRunEvents, launchBrowser, openPage, startDashboardServer, waitOpened } from "../../test/dashboard/browser-fixtures.js";
import { median, percentile, type BenchRow } from "../harness.js";

const ITERATIONS = 6_665;
const EVENTS = bigRunEventCount(ITERATIONS);

interface Phases {
  code: number;
  data: number;
  render: number;
}

async function openRuntrail(browser: Browser, url: string, token: string): Promise<{ openMs: number; phases: Phases; page: Page }> {
  const page = await openPage(browser, token);
  await page.goto(`${url}/runs/run-20k`);
  const openMs = await waitOpened(page, EVENTS);
  const phases = await page.evaluate(() => {
    const resources = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
    const path = (r: PerformanceResourceTiming): string => new URL(r.name).pathname;
    return {
      code: Math.max(...resources.filter((r) => path(r).startsWith("/assets/") && path(r).endsWith(".js")).map((r) => r.responseEnd)),
      data: resources.find((r) => path(r).endsWith("/overview"))?.responseEnd ?? Number.NaN,
      render: performance.getEntriesByName("runtrail:run-view-render")[0]?.startTime ?? Number.NaN,
    };
  });
  return { openMs, phases, page };
}

/** The peer: a page that reads the whole trail and draws a row per event. */
async function openNaive(browser: Browser, url: string, token: string): Promise<{ openMs: number; page: Page }> {
  const page = await openPage(browser, token);
  await page.goto(`${url}/api/openapi.json`); // any page of the origin, so fetch is same-origin
  const openMs = await page.evaluate(async (apiToken) => {
    const started = performance.now();
    document.body.innerHTML = '<div id="log" style="height:600px;overflow:auto;font:12px monospace"><table id="t"></table></div>';
    const table = document.getElementById("t")!;
    let after = 0;
    for (;;) {
      const response = await fetch(`/api/runs/run-20k/events?after=${after}&limit=1000`, { headers: { authorization: `Bearer ${apiToken}` } });
      const page = (await response.json()) as { events: { seq: number; type: string; stepId?: string }[]; next?: number };
      table.insertAdjacentHTML("beforeend", page.events.map((e) => `<tr><td>#${e.seq}</td><td>${e.type}</td><td>${e.stepId ?? ""}</td><td>${JSON.stringify(e).slice(0, 120)}</td></tr>`).join(""));
      if (page.next === undefined) break;
      after = page.next;
    }
    const log = document.getElementById("log")!;
    log.scrollTop = log.scrollHeight;
    await new Promise(requestAnimationFrame);
    return performance.now() - started;
  }, token);
  return { openMs, page };
}

async function scrollP95(page: Page, selector: string): Promise<number> {
  const frames = await page.evaluate(async (sel) => {
    const log = document.querySelector<HTMLElement>(sel)!;
    const times: number[] = [];
    let last = performance.now();
    while (log.scrollTop > 0) {
      log.scrollTop = Math.max(0, log.scrollTop - 4 * log.clientHeight);
      await new Promise(requestAnimationFrame);
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    return times;
  }, selector);
  return percentile(frames, 95);
}

export default async function dashboard(): Promise<BenchRow[]> {
  const samples = Number(process.env.RUNTRAIL_BENCH_SAMPLES ?? 3);
  const h = await startDashboardServer();
  const browser = await launchBrowser();
  try {
    await emitCommitted(h, bigRunEvents("run-20k", "acme", ITERATIONS));
    const auth = { authorization: `Bearer ${h.tokens.acme}` };
    const open = { runtrail: [] as number[], naive: [] as number[], api: [] as number[] };
    const phases = { code: [] as number[], data: [] as number[], render: [] as number[] };
    const scroll = { runtrail: [] as number[], naive: [] as number[] };
    for (let s = 0; s < samples; s++) {
      const started = performance.now();
      // What the view reads before it draws: the overview with the log's latest pages, one request.
      await fetch(`${h.url}/api/runs/run-20k/overview?tail=200`, { headers: auth }).then((r) => r.json());
      open.api.push(performance.now() - started);
      const ours = await openRuntrail(browser, h.url, h.tokens.acme);
      open.runtrail.push(ours.openMs);
      phases.code.push(ours.phases.code);
      phases.data.push(ours.phases.data);
      phases.render.push(ours.phases.render);
      scroll.runtrail.push(await scrollP95(ours.page, '[data-testid="event-log"]'));
      await ours.page.context().close();
      const naive = await openNaive(browser, h.url, h.tokens.acme);
      open.naive.push(naive.openMs);
      scroll.naive.push(await scrollP95(naive.page, "#log"));
      await naive.page.context().close();
    }
    const at = (list: number[]): string => Math.round(median(list)).toString();
    const note =
      `${EVENTS.toLocaleString("en-US")} events, 6,667 step rows, graph from run.started; median of ${samples}; open includes the page's own code (first load, no cache); ` +
      `phases (ms after navigation): code in ${at(phases.code)}, overview in ${at(phases.data)}, first render ${at(phases.render)}`;
    return [
      { case: "20,000-event run", metric: "open (graph, timeline, latest log)", unit: "ms", runtrail: median(open.runtrail), peers: { "naive full table": median(open.naive) }, limit: { name: "API reads alone", value: median(open.api) }, note },
      { case: "20,000-event run", metric: "log scroll frame p95", unit: "ms", runtrail: median(scroll.runtrail), peers: { "naive full table": median(scroll.naive) }, note: "four screens per frame, end to start" },
    ];
  } finally {
    await browser.close();
    await h.close();
  }
}
