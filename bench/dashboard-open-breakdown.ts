/// <reference lib="dom" />
/**
 * Where opening a 20,000-event run goes, for `npm run bench -- dashboard`'s open row: per sample
 * the open time, the page's long tasks, a CPU profile's heaviest functions (self time), every
 * request's start-end (ms after navigation) and the view's own marks (`runtrail:*`); then the
 * medians of the phases: the view's code in, the run's data in, the first render, opened.
 * `PROFILE=1` adds a CPU profile's heaviest functions (self time) per sample (it slows the page).
 * Run: `SAMPLES=5 npx tsx bench/dashboard-open-breakdown.ts`.
 */
import type { CDPSession } from "playwright-core";
import { median } from "./harness.js";
import { emitCommitted } from "../test/server/server-fixtures.js";
import { bigRunEventCount, bigRunEvents, launchBrowser, longTasks, openPage, startDashboardServer, waitOpened } from "../test/dashboard/browser-fixtures.js";

const ITERATIONS = 6_665;
const EVENTS = bigRunEventCount(ITERATIONS);
const h = await startDashboardServer();
const browser = await launchBrowser();
await emitCommitted(h, bigRunEvents("run-20k", "acme", ITERATIONS));
const profiling = process.env.PROFILE === "1";
const phases = { code: [] as number[], data: [] as number[], render: [] as number[], open: [] as number[] };
for (let s = 0; s < Number(process.env.SAMPLES ?? 2); s++) {
  const page = await openPage(browser, h.tokens.acme);
  const cdp = await page.context().newCDPSession(page);
  if (profiling) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
  }
  await page.goto(`${h.url}/runs/run-20k`);
  // When each part of the open first showed (every frame checked), beside the open itself.
  const parts = page.evaluate(
    (list) =>
      new Promise<string>((resolve) => {
        const seen = new Map<string, number>();
        const look = (): void => {
          for (const [name, selector] of list) if (!seen.has(name) && document.querySelector(selector) !== null) seen.set(name, performance.now());
          if (seen.size === list.length) resolve(list.map(([name]) => `${name} ${Math.round(seen.get(name)!)}`).join(", "));
          else requestAnimationFrame(look);
        };
        look();
      }),
    [["graph node", '[data-step="item"]'], ["graph edges", ".react-flow__edge"], ["timeline", "[data-step-key]"], ["log end", `[data-seq="${EVENTS}"]`]] as [string, string][],
  );
  const openMs = await waitOpened(page, EVENTS);
  console.log(`parts shown at: ${await parts}`);
  if (profiling) await selfTimes(cdp);
  const timings = await page.evaluate(() => ({
    resources: performance.getEntriesByType("resource").map((r) => { const t = r as PerformanceResourceTiming; return { name: t.name.replace(location.origin, ""), start: t.startTime, sent: t.requestStart, first: t.responseStart, end: t.responseEnd, kb: t.transferSize / 1024 }; }),
    marks: performance.getEntriesByType("mark").map((m) => ({ name: m.name, at: m.startTime })),
  }));
  const code = Math.max(...timings.resources.filter((r) => r.name.startsWith("/assets/") && r.name.endsWith(".js")).map((r) => r.end));
  const data = timings.resources.find((r) => /^\/api\/runs\/run-20k(\/overview)?(\?.*)?$/.test(r.name))?.end ?? NaN;
  const render = timings.marks.find((m) => m.name === "runtrail:run-view-render")?.at ?? NaN;
  phases.code.push(code);
  phases.data.push(data);
  phases.render.push(render);
  phases.open.push(openMs);
  console.log(`open ${Math.round(openMs)} ms (code in ${Math.round(code)}, run data in ${Math.round(data)}, first render ${Math.round(render)}); long tasks ${(await longTasks(page)).map(Math.round).join(", ")}`);
  console.log(timings.resources.map((r) => `${Math.round(r.start)}-${Math.round(r.end)} (request sent ${Math.round(r.sent)}, first byte ${Math.round(r.first)}) ${r.kb.toFixed(0)}KB ${r.name}`).join("\n"));
  console.log(timings.marks.map((m) => `${Math.round(m.at)} ${m.name}`).join("\n"));
  await page.context().close();
}
const m = (list: number[]): number => Math.round(median(list));
console.log(`median of ${phases.open.length}: open ${m(phases.open)} ms; code in ${m(phases.code)}, run data in ${m(phases.data)}, first render ${m(phases.render)} ms (all ms after navigation); opens: ${phases.open.map(Math.round).join(", ")}`);
await browser.close();
await h.close();

/** Prints the CPU profile's heaviest functions by self time. */
async function selfTimes(cdp: CDPSession): Promise<void> {
  const { profile } = (await cdp.send("Profiler.stop")) as unknown as { profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }[]; samples: number[]; timeDeltas: number[] } };
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const key = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/.*\//, "")}:${n.callFrame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  console.log([...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(1)} ms ${k}`).join("\n"));
}
