/// <reference lib="dom" />
/**
 * The analytics view in Chromium against a real server: a workflow whose runs are spread over
 * the last six hours (events written through the store with past times) charts each step's
 * duration and outcomes per bucket, with the right number of buckets, series and points; step,
 * range and bucket are in the URL and survive a reload; another account sees none of it; and
 * the charts' code (uPlot) is not part of the runs list's first load.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBus, type EventInput } from "runtrail";
import { findDashboardRoot } from "../../src/server/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import type { StepSeriesAnswer } from "../../dashboard/src/runs/analytics-range.js";
import { launchBrowser, openPage, screenshot, startDashboardServer } from "./browser-fixtures.js";

const HOUR = 3_600_000;
const HOURS = 6;
const error = { name: "Error", message: "enrichment service unavailable" };

/**
 * Runs of `orders` in acme, `k + 2` of them in the hour k hours back, for six hours: fetch takes
 * 100 ms plus 50 ms an hour back, enrich fails for good three hours ago (two attempts) and else
 * completes, store completes after a good enrich.
 */
async function writeHistory(h: Awaited<ReturnType<typeof startDashboardServer>>, now: number): Promise<void> {
  const clock = { now };
  const bus = createBus({ clock: () => clock.now });
  const writer = createStoreWriter(bus, h.store, { flushIntervalMs: 5 });
  const emit = async (at: number, input: EventInput) => {
    clock.now = at;
    await bus.emit(input);
  };
  // The last hour that began at least half an hour ago: its runs (at most 12 minutes past it) are all in the past.
  const hourStart = Math.floor((now - 30 * 60_000) / HOUR) * HOUR;
  for (let k = 0; k < HOURS; k++) {
    for (let r = 0; r < k + 2; r++) {
      const base = { runId: `orders-${k}-${r}`, accountId: "acme", workflow: { name: "orders", version: "3" } };
      // Five minutes past the hour, a minute apart: one hour's runs fall in one bucket even of 15 minutes.
      let at = hourStart - k * HOUR + 5 * 60_000 + r * 60_000;
      const step = async (stepId: string, ms: number, failed = false, attempt = 1) => {
        await emit(at, { type: "step.started", ...base, stepId, attempt });
        at += ms;
        if (failed) await emit(at, { type: "step.failed", ...base, stepId, attempt, durationMs: ms, error });
        else await emit(at, { type: "step.completed", ...base, stepId, attempt, durationMs: ms });
      };
      await emit(at, { type: "run.started", ...base });
      await step("fetch", 100 + 50 * k + 10 * r);
      if (k === 3) {
        await step("enrich", 40, true);
        await emit(at, { type: "step.retrying", ...base, stepId: "enrich", attempt: 1, delayMs: 0, nextAttempt: 2, error });
        await step("enrich", 45, true, 2);
        await emit(at, { type: "run.failed", ...base, durationMs: 500, error });
        continue;
      }
      await step("enrich", 200 + 30 * k + 25 * r);
      await step("store", 50);
      await emit(at, { type: "run.completed", ...base, durationMs: 500 });
    }
  }
  await writer.close();
}

/** What a chart's box says uPlot was given. */
async function chartData(page: Page, testId: string): Promise<{ series: number; buckets: number; points: number[]; canvases: number; legend: string[] }> {
  const chart = page.getByTestId(testId);
  await chart.locator("canvas").first().waitFor();
  return chart.evaluate((el: HTMLElement) => ({
    series: Number(el.dataset.series),
    buckets: Number(el.dataset.buckets),
    points: (el.dataset.points ?? "").split(",").map(Number),
    canvases: el.querySelectorAll("canvas").length,
    legend: Array.from(el.querySelectorAll(".u-legend .u-series th"), (th) => th.textContent ?? ""),
  }));
}

/** Opens a URL of the view and waits for its series answer. */
async function openSeries(page: Page, url: string, step: "goto" | "reload" | (() => Promise<unknown>) = "goto"): Promise<StepSeriesAnswer> {
  const answer = page.waitForResponse((response) => response.url().includes("/api/analytics/steps/series") && response.status() === 200);
  if (step === "goto") await page.goto(url);
  else if (step === "reload") await page.reload();
  else await step();
  return (await (await answer).json()) as StepSeriesAnswer;
}

describe("the analytics view", () => {
  let h: Awaited<ReturnType<typeof startDashboardServer>>;
  let browser: Browser;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startDashboardServer(), launchBrowser()]);
    await writeHistory(h, Date.now() - 60_000);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("charts a step's duration and outcomes per hour over the last day, and another step when picked", async () => {
    const page = await openPage(browser, h.tokens.acme, { width: 1440, height: 1000 });
    const answer = await openSeries(page, `${h.url}/analytics?workflow=orders`);
    expect(answer.bucket).toBe("1h");
    expect(answer.buckets.length).toBeGreaterThanOrEqual(24);
    expect(answer.steps.map((s) => s.stepId)).toEqual(["enrich", "fetch", "store"]);

    // The first step by id is charted: enrich completed in five of the six hours and failed in one.
    await page.locator('.step-charts[data-step="enrich"]').waitFor();
    const duration = await chartData(page, "duration-chart");
    expect(duration).toMatchObject({ series: 2, buckets: answer.buckets.length, points: [HOURS - 1, HOURS - 1] });
    expect(duration.canvases).toBeGreaterThan(0);
    expect(duration.legend).toEqual(["Bucket", "Average", "p95"]);
    const runs = await chartData(page, "runs-chart");
    // Counts are 0, not gaps, in a bucket without outcomes: one value per bucket in each series.
    expect(runs).toMatchObject({ series: 3, buckets: answer.buckets.length, points: [answer.buckets.length, answer.buckets.length, answer.buckets.length] });
    expect(runs.legend).toEqual(["Bucket", "Completed", "Failed attempts", "Runs failed"]);
    const enrich = answer.steps.find((s) => s.stepId === "enrich")!;
    expect(enrich.points.map((p) => p.failures)).toEqual([0, 0, 10, 0, 0, 0]);
    expect(enrich.points.map((p) => p.runsFailed)).toEqual([0, 0, 5, 0, 0, 0]);
    const overRuns = (await page.getByTestId("runs-chart").locator(".u-over").boundingBox())!;
    const failing = answer.buckets.indexOf(enrich.points[2]!.t);
    await page.mouse.move(overRuns.x + (overRuns.width * (failing + 0.5)) / answer.buckets.length, overRuns.y + overRuns.height / 2);
    await expect(page.getByTestId("runs-chart").locator(".u-legend .u-series").nth(2).locator(".u-value").innerText()).resolves.toBe("10");
    await screenshot(page, "analytics-charts-failures");

    // Picking fetch in the step list: into the URL, and its charts (six hours of completions).
    await page.getByLabel("Step").selectOption("fetch");
    await page.locator('.step-charts[data-step="fetch"]').waitFor();
    expect(new URL(page.url()).searchParams.get("step")).toBe("fetch");
    expect(await chartData(page, "duration-chart")).toMatchObject({ series: 2, points: [HOURS, HOURS] });
    const fetchSeries = answer.steps.find((s) => s.stepId === "fetch")!;
    expect(fetchSeries.points.map((p) => p.completed)).toEqual([7, 6, 5, 4, 3, 2]);
    // Hour k back: 100 + 50k + 10r over r < k + 2 runs; the p95 is the slowest of so few.
    expect(fetchSeries.points.map((p) => p.p95Ms)).toEqual([5, 4, 3, 2, 1, 0].map((k) => 100 + 50 * k + 10 * (k + 1)));

    // Hovering a bucket (the middle of the one an hour back) shows its values in both legends: the
    // cursors are synced. An hour back fetch ran three times, in 150, 160 and 170 ms.
    const box = (await page.getByTestId("duration-chart").locator(".u-over").boundingBox())!;
    const hovered = answer.buckets.indexOf(fetchSeries.points.at(-2)!.t);
    await page.mouse.move(box.x + (box.width * (hovered + 0.5)) / answer.buckets.length, box.y + box.height / 2);
    await expect(page.getByTestId("duration-chart").locator(".u-legend .u-series").nth(1).locator(".u-value").innerText()).resolves.toBe("160 ms");
    await expect(page.getByTestId("runs-chart").locator(".u-legend .u-series").nth(1).locator(".u-value").innerText()).resolves.toBe("3");
    await screenshot(page, "analytics-charts");
    await page.context().close();
  }, 60_000);

  it("keeps step, range and bucket in the URL: a reload and a link restore the view", async () => {
    const page = await openPage(browser, h.tokens.acme);
    await openSeries(page, `${h.url}/analytics?workflow=orders&step=store`);
    await page.locator('.step-charts[data-step="store"]').waitFor();
    const fine = await openSeries(page, "", () => page.getByLabel("Bucket").selectOption("15m"));
    expect(fine.bucket).toBe("15m");
    // 24 hours in 15-minute buckets: 96, or 97 when the range starts off a quarter hour.
    expect(fine.buckets.length).toBeGreaterThanOrEqual(96);
    await page.waitForFunction((n) => document.querySelector<HTMLElement>('[data-testid="duration-chart"]')?.dataset.buckets === String(n), fine.buckets.length);
    const week = await openSeries(page, "", () => page.getByLabel("Range").selectOption("7d"));
    expect(week.bucket).toBe("15m");
    expect(week.buckets.length).toBeGreaterThanOrEqual(7 * 96);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ workflow: "orders", step: "store", bucket: "15m", range: "7d" });

    const again = await openSeries(page, "", "reload");
    expect(again.bucket).toBe("15m");
    await expect(page.getByLabel("Step").inputValue()).resolves.toBe("store");
    await expect(page.getByLabel("Range").inputValue()).resolves.toBe("7d");
    await expect(page.getByLabel("Bucket").inputValue()).resolves.toBe("15m");
    const store = await chartData(page, "duration-chart");
    expect(store).toMatchObject({ series: 2, buckets: again.buckets.length, points: [HOURS - 1, HOURS - 1] });
    await screenshot(page, "analytics-charts-week");
    // A bucket too fine for the range (1m over 30 days is over the server's cap) is not offered.
    await openSeries(page, "", () => page.getByLabel("Range").selectOption("30d"));
    const offered = await page.getByLabel("Bucket").locator("option").allInnerTexts();
    expect(offered).toEqual(["1h", "6h", "1d"]);
    await page.context().close();
  }, 60_000);

  it("shows another account none of the workflow's steps", async () => {
    const page = await openPage(browser, h.tokens.globex);
    const answer = await openSeries(page, `${h.url}/analytics?workflow=orders`);
    expect(answer.steps).toEqual([]);
    await page.getByText("No step of orders ended in this range.").waitFor();
    await expect(page.getByTestId("analytics-totals").locator("tbody tr").count()).resolves.toBe(0);
    await page.context().close();
  }, 30_000);

  it("leaves uPlot out of the runs list's first load: the charts' chunk loads with the analytics view", async () => {
    const root = findDashboardRoot()!;
    const html = readFileSync(join(root, "index.html"), "utf8");
    const first = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="([^"]+\.js)"/g)].map((m) => m[1]!);
    expect(first.length).toBeGreaterThan(0);
    // uPlot's own class names: in no script of the first load.
    for (const src of first) expect(readFileSync(join(root, src), "utf8"), src).not.toContain("u-legend");

    const page = await openPage(browser, h.tokens.acme);
    const scripts: string[] = [];
    page.on("request", (request) => {
      if (request.resourceType() === "script") scripts.push(new URL(request.url()).pathname);
    });
    await page.goto(`${h.url}/`);
    await page.locator("[data-run-id]").first().waitFor();
    expect(scripts.some((s) => s.includes("step-charts"))).toBe(false);
    await page.getByRole("link", { name: "Analytics" }).click();
    await page.getByLabel("Workflow").fill("orders");
    await page.getByTestId("duration-chart").locator("canvas").first().waitFor();
    expect(scripts.filter((s) => s.includes("step-charts"))).toHaveLength(1);
    await page.context().close();
  }, 30_000);
});
