/// <reference lib="dom" />
// (code inside page.evaluate runs in the browser)
/**
 * The dashboard in Chromium against a real server: the runs list is live, the run view colours
 * steps by their live state and shows a failed step's error and retries, the URL keeps every
 * view's state across a reload, the slider shows an earlier state, and a token sees only its
 * account.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitCommitted, runEvents } from "../server/server-fixtures.js";
import { launchBrowser, openPage, ordersWorkflow, screenshot, startDashboardServer, startRun } from "./browser-fixtures.js";

const FAILED_RED = "rgb(239, 68, 68)";

/** The statuses a step's node shows, sampled every frame until `done` holds in the page. */
async function watchNode(page: Page, stepId: string, until: string): Promise<string[]> {
  return page.evaluate(
    ({ stepId, until }) =>
      new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        const timeout = setTimeout(() => reject(new Error(`${stepId} never became ${until}; saw ${seen.join(" → ")}`)), 15_000);
        const look = (): void => {
          const status = document.querySelector(`[data-step="${stepId}"]`)?.getAttribute("data-status");
          if (status !== undefined && status !== null && seen.at(-1) !== status) seen.push(status);
          if (status === until) {
            clearTimeout(timeout);
            resolve(seen);
          } else requestAnimationFrame(look);
        };
        look();
      }),
    { stepId, until },
  );
}

describe("the dashboard's views", () => {
  let h: Awaited<ReturnType<typeof startDashboardServer>>;
  let browser: Browser;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startDashboardServer(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("shows a run started after the page loaded within a second, without reload, and follows it to completion", async () => {
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/`);
    await page.getByText("No runs yet").waitFor();
    await page.locator('[data-live="on"]').waitFor();
    const started = Date.now();
    const run = startRun(h, ordersWorkflow({ stepMs: 150 }), "acme");
    const row = page.locator(`[data-run-id="${run.runId}"]`);
    await row.waitFor({ timeout: 1_000 });
    const appearedMs = Date.now() - started;
    console.log(`[dashboard] a new run appeared in the list ${appearedMs} ms after it started`);
    expect(appearedMs).toBeLessThan(1_000);
    expect(await row.getAttribute("data-status")).toBe("running");
    await run.result;
    await page.locator(`[data-run-id="${run.runId}"][data-status="completed"]`).waitFor({ timeout: 3_000 });
    await expect(row.locator(".col-progress").innerText()).resolves.toContain("4/4");
    await page.context().close();
  }, 30_000);

  it("colours each step by its live state; a failed step is red and its panel shows the error and the retries", async () => {
    const page = await openPage(browser, h.tokens.acme);
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const run = startRun(h, ordersWorkflow({ stepMs: 100, broken: true, gate }), "acme");
    await h.writer.flush();
    await page.goto(`${h.url}/runs/${run.runId}`);
    // The page is open on the running run before enrich's first attempt goes on.
    await page.locator('[data-step="enrich"][data-status="running"]').waitFor();
    const watching = watchNode(page, "enrich", "failed");
    open();
    const seen = await watching;
    await run.result.catch(() => undefined);
    // Live: the node went through its attempts (retrying) before it failed, without a reload.
    expect(seen).toContain("retrying");
    expect(seen.indexOf("retrying")).toBeLessThan(seen.indexOf("failed"));
    const node = page.locator('[data-step="enrich"]');
    const colour = await node.evaluate((el) => getComputedStyle(el).borderLeftColor);
    expect(colour).toBe(FAILED_RED);
    await page.locator('[data-testid="run-view"][data-run-status="failed"]').waitFor();
    await node.click();
    const panel = page.getByTestId("step-panel");
    await expect(panel.getByTestId("step-error").innerText()).resolves.toContain("enrichment service unavailable (call 3)");
    const attempts = panel.getByTestId("attempts").locator("li");
    await expect(attempts.count()).resolves.toBe(5); // failed, retrying, failed, retrying, failed
    await expect(panel.getByTestId("attempts").innerText()).resolves.toContain("decided by retry");
    expect(new URL(page.url()).searchParams.get("step")).toBe("enrich");
    await screenshot(page, "run-view-failed");
    await page.context().close();
  }, 30_000);

  it("keeps filters and the selected step and event in the URL: a reload and a link restore the view", async () => {
    const run = startRun(h, ordersWorkflow({ broken: true }), "acme");
    await run.result.catch(() => undefined);
    await h.writer.flush();
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/runs/${run.runId}`);
    await page.getByLabel("Event types").fill("step.*");
    await page.getByLabel("Step filter").selectOption("enrich");
    const firstFailed = page.locator(".log-row", { hasText: "step.failed" }).first();
    await firstFailed.click();
    const seq = await firstFailed.getAttribute("data-seq");
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ types: "step.*", logStep: "enrich", event: seq });
    const rowsNow = await page.locator(".log-row[data-seq]").allInnerTexts();
    await page.reload();
    await page.getByTestId("event-panel").waitFor();
    await expect(page.getByLabel("Event types").inputValue()).resolves.toBe("step.*");
    await expect(page.getByLabel("Step filter").inputValue()).resolves.toBe("enrich");
    await expect(page.getByTestId("event-panel").innerText()).resolves.toContain(`#${seq}`);
    await page.locator(`.log-row.selected[data-seq="${seq}"]`).waitFor();
    const rowsAfter = await page.locator(".log-row[data-seq]").allInnerTexts();
    expect(rowsAfter).toEqual(rowsNow);
    expect(rowsAfter.every((text) => text.includes("step.") && text.includes("enrich"))).toBe(true);
    // The same link in a fresh page (another tab) opens the same view.
    const other = await openPage(browser, h.tokens.acme);
    await other.goto(page.url());
    await expect(other.getByTestId("event-panel").innerText()).resolves.toContain(`#${seq}`);
    // The runs list's status filter too.
    await page.goto(`${h.url}/`);
    await page.getByRole("button", { name: "failed" }).click();
    expect(new URL(page.url()).searchParams.getAll("status")).toEqual(["failed"]);
    await page.reload();
    await page.locator("[data-run-id]").first().waitFor();
    const statuses = await page.locator("[data-run-id]").evaluateAll((els) => els.map((el) => el.getAttribute("data-status")));
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(["failed"]));
    await other.context().close();
    await page.context().close();
  }, 30_000);

  it("shows the state at an earlier seq with the slider (time travel), from the URL too", async () => {
    const run = startRun(h, ordersWorkflow({ broken: true }), "acme");
    await run.result.catch(() => undefined);
    await h.writer.flush();
    const events = (await h.store.readRun("acme", run.runId, { limit: 1000 })).items.map((item) => item.event);
    const firstFailure = events.find((e) => e.type === "step.failed" && e.stepId === "enrich")!;
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/runs/${run.runId}?at=${firstFailure.seq - 1}`);
    await page.locator('[data-testid="run-view"][data-run-status="running"][data-replaying="false"]').waitFor();
    await expect(page.locator('[data-step="enrich"]').getAttribute("data-status")).resolves.toMatch(/^(started|running)$/);
    await expect(page.getByText(`at #${firstFailure.seq - 1} of ${events.length}`).count()).resolves.toBe(1);
    // Variables as they were then: fetch had set the stage; at the first variable event it was new.
    await expect(page.getByTestId("variables").innerText()).resolves.toContain('"fetched"');
    const firstVariable = events.find((e) => e.type === "variable.changed")!;
    const early = await openPage(browser, h.tokens.acme);
    await early.goto(`${h.url}/runs/${run.runId}?at=${firstVariable.seq}`);
    await early.locator('[data-testid="run-view"][data-replaying="false"]').waitFor();
    await early.getByText(`at #${firstVariable.seq} of ${events.length}`).waitFor();
    await expect(early.getByTestId("variables").innerText()).resolves.toContain('"new"');
    await early.context().close();
    // One step forward with the keyboard: the failed attempt, now retried (the step's state is failed until step.retrying).
    await page.getByLabel("Time travel: the state at this seq").focus();
    await page.keyboard.press("ArrowRight");
    await page.waitForURL((u) => u.searchParams.get("at") === String(firstFailure.seq));
    await page.locator('[data-step="enrich"][data-status="failed"]').waitFor();
    await page.getByRole("button", { name: "Back to live" }).click();
    await page.locator('[data-testid="run-view"][data-run-status="failed"]').waitFor();
    await page.context().close();
  }, 30_000);

  it("shows a token only its own account: another account's runs are nowhere, a bad token gets the server's message", async () => {
    const acmeRun = startRun(h, ordersWorkflow(), "acme");
    await acmeRun.result;
    const globexRun = startRun(h, ordersWorkflow(), "globex");
    await globexRun.result;
    await h.writer.flush();
    // acme's list, with the runs of the tests before: the screenshot of the runs view.
    const acme = await openPage(browser, h.tokens.acme);
    await acme.goto(`${h.url}/`);
    await acme.locator(`[data-run-id="${acmeRun.runId}"][data-status="completed"]`).waitFor();
    await screenshot(acme, "runs-view");
    await acme.context().close();
    const page = await openPage(browser, h.tokens.globex);
    await page.goto(`${h.url}/`);
    await page.locator(`[data-run-id="${globexRun.runId}"]`).waitFor();
    const accounts = await page.locator("[data-run-id] .col-account").allInnerTexts();
    expect(new Set(accounts)).toEqual(new Set(["globex"]));
    await page.goto(`${h.url}/runs/${acmeRun.runId}`);
    await expect(page.locator(".alert").innerText()).resolves.toContain(`no run "${acmeRun.runId}"`);
    expect(await page.content()).not.toContain("enrichment");
    const bad = await openPage(browser, "rt_not-a-real-token");
    await bad.goto(`${h.url}/`);
    await expect(bad.getByRole("alert").innerText()).resolves.toBe("invalid API token");
    await screenshot(bad, "login");
    await bad.context().close();
    await page.context().close();
  }, 30_000);

  it("signs a page out with the server's message when its token is revoked while it is open", async () => {
    const { token, record } = await h.tokenStore.create({ accountId: "acme" });
    const page = await openPage(browser, token);
    await page.goto(`${h.url}/`);
    await page.locator('[data-live="on"]').waitFor();
    await h.tokenStore.revoke(record.id);
    // The next read of the list (a run starting makes one) is refused: the page says so and asks for a token.
    const run = startRun(h, ordersWorkflow(), "acme");
    await run.result;
    await expect(page.getByRole("alert").innerText()).resolves.toBe("invalid API token");
    await expect(page.getByTestId("login-hint").innerText()).resolves.toContain("revoked or has expired");
    await page.getByPlaceholder("API token").waitFor();
    await page.context().close();
  }, 30_000);

  it("pages the runs list by cursor: 50 rows, then the older ones on demand", async () => {
    const events = Array.from({ length: 62 }, (_, i) => runEvents(`paged-${String(i).padStart(2, "0")}`, "globex", 1)).flat();
    await emitCommitted(h, events);
    const page = await openPage(browser, h.tokens.globex);
    await page.goto(`${h.url}/?workflow=etl`);
    const rows = page.locator('[data-run-id^="paged-"]');
    await rows.first().waitFor();
    // The list is virtualised: every id shown while it is scrolled from top to bottom.
    const sweep = async (): Promise<string[]> =>
      page.getByTestId("runs-list").evaluate(async (el) => {
        const seen = new Set<string>();
        for (let top = 0; ; top += el.clientHeight / 2) {
          el.scrollTo(0, top);
          await new Promise(requestAnimationFrame);
          await new Promise(requestAnimationFrame);
          for (const row of Array.from(el.querySelectorAll("[data-run-id]"))) seen.add(row.getAttribute("data-run-id")!);
          if (top >= el.scrollHeight) return [...seen];
        }
      });
    await expect.poll(async () => (await sweep()).length).toBe(50);
    await page.getByRole("button", { name: "Older runs" }).click();
    await expect.poll(async () => (await sweep()).length).toBe(62);
    await expect(page.getByRole("button", { name: "Older runs" }).count()).resolves.toBe(0);
    await page.context().close();
  }, 30_000);
});
