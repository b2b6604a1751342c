/// <reference lib="dom" />
/**
 * Where opening a 20,000-event run goes, for `npm run bench -- dashboard`'s open row: per sample
 * the open time, the page's long tasks, a CPU profile's heaviest functions (self time), every
 * request's start-end (ms after navigation) and the view's own marks (`runtrail:*`).
 * Run: `SAMPLES=1 npx tsx bench/dashboard-open-breakdown.ts`.
 */
import { emitCommitted } from "../test/server/server-fixtures.js";
import { bigRunEventCount, bigRunEvents, launchBrowser, longTasks, openPage, startDashboardServer, waitOpened } from "../test/dashboard/browser-fixtures.js";

const ITERATIONS = 6_665;
const EVENTS = bigRunEventCount(ITERATIONS);
const h = await startDashboardServer();
const browser = await launchBrowser();
await emitCommitted(h, bigRunEvents("run-20k", "acme", ITERATIONS));
for (let s = 0; s < Number(process.env.SAMPLES ?? 2); s++) {
  const page = await openPage(browser, h.tokens.acme);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  await page.goto(`${h.url}/runs/run-20k`);
  const openMs = await waitOpened(page, EVENTS);
  const { profile } = (await cdp.send("Profiler.stop")) as unknown as { profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }[]; samples: number[]; timeDeltas: number[] } };
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const key = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/.*\//, "")}:${n.callFrame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  console.log([...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(1)} ms ${k}`).join("\n"));
  const resources = await page.evaluate(() => performance.getEntriesByType("resource").map((r) => { const t = r as PerformanceResourceTiming; return `${Math.round(t.startTime)}-${Math.round(t.responseEnd)} ${(t.transferSize / 1024).toFixed(0)}KB ${t.name.replace(location.origin, "")}`; }));
  const marks = await page.evaluate(() => performance.getEntriesByType("mark").map((m) => `${Math.round(m.startTime)} ${m.name}`));
  console.log(`open ${Math.round(openMs)} ms; long tasks ${(await longTasks(page)).map(Math.round).join(", ")}`);
  console.log(resources.join("\n"));
  console.log(marks.join("\n"));
  await page.context().close();
}
await browser.close();
await h.close();
