/// <reference lib="dom" />
// (code inside page.evaluate runs in the browser)
/**
 * The dashboard in open mode (no tokens), in Chromium: served from 127.0.0.1 and from localhost,
 * its requests and live stream pass the server's loopback Host and Origin checks, so a run shows
 * live and its view follows it. A foreign site open in the same browser can neither start a run
 * (its cross-site POST is refused) nor read the server under its own name (DNS rebinding).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../server/server-fixtures.js";
import { CHROMIUM, launchBrowser, openPage, ordersWorkflow, startRun } from "./browser-fixtures.js";

describe("the dashboard in open mode", () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness({ open: true, workflows: [ordersWorkflow()] }), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it.each(["127.0.0.1", "localhost"])("works from http://%s: the list is live and a run's view follows it", async (host) => {
    const page = await openPage(browser);
    const base = h.url.replace("127.0.0.1", host);
    await page.goto(`${base}/`);
    await page.locator('[data-live="on"]').waitFor({ timeout: 10_000 });
    const run = startRun(h, ordersWorkflow({ stepMs: 100 }), "default");
    const row = page.locator(`[data-run-id="${run.runId}"]`);
    await row.waitFor({ timeout: 3_000 });
    await page.goto(`${base}/runs/${run.runId}`);
    await run.result;
    await page.locator('[data-step="store"][data-status="completed"]').waitFor({ timeout: 10_000 });
    await page.context().close();
  }, 60_000);

  it("refuses what a foreign site does from the same browser: a page's POST starts no run, a rebound name reads nothing", async () => {
    // `evil.example` resolves to this machine in this browser, as a DNS-rebinding attacker arranges.
    const foreignBrowser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP evil.example 127.0.0.1"] });
    const site = createServer((_request, response) => response.end("<!doctype html><title>evil</title>"));
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    try {
      const page = await foreignBrowser.newPage();
      await page.goto(`http://evil.example:${(site.address() as AddressInfo).port}/`);
      const before = (await h.store.listRuns("default", { limit: 100 })).items.length;
      // A "simple" cross-site request (no preflight), as a form or no-cors fetch sends it.
      const sent = await page.evaluate(async (url) => {
        // No body, so no content type: what started a run before the checks.
        await fetch(`${url}/api/workflows/orders/runs`, { method: "POST", mode: "no-cors" });
        return "sent";
      }, h.url);
      expect(sent).toBe("sent");
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await h.store.listRuns("default", { limit: 100 })).items.length).toBe(before);
      // The server itself under the foreign name: refused, the page shows why.
      const rebound = await page.goto(`http://evil.example:${new URL(h.url).port}/`);
      expect(rebound?.status()).toBe(403);
      expect(await page.textContent("body")).toContain('refused Host \\"evil.example:');
    } finally {
      await foreignBrowser.close();
      site.close();
    }
  }, 30_000);
});
