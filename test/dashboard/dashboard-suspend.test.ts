/// <reference lib="dom" />
/**
 * Suspended runs in the dashboard, in Chromium against a real server that executes the
 * workflows: the runs list shows a waiting run in its own colour with what it waits for (and
 * filters by it); the run view's banner says what, since when, the deadline and who; the signal
 * form refuses bad JSON itself, shows the server's 400 next to the payload, and a good signal
 * completes the run live; Suspend / Resume work on a running run and are not offered to a
 * read-only token or for a run this server does not execute; a sub-workflow node opens its child
 * run, whose view links back to the parent's step. Screenshots go to test/dashboard/artifacts/.
 */
import type { Browser } from "playwright-core";
import { Type } from "@sinclair/typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../src/engine/index.js";
import { call, startHarness, type Harness } from "../server/server-fixtures.js";
import { launchBrowser, openPage, screenshot } from "./browser-fixtures.js";

const SUSPENDED_PURPLE = "rgb(168, 85, 247)";
const Approval = Type.Object({ approved: Type.Boolean(), note: Type.Optional(Type.String()) });

const approvals = workflow<{ amount: number }>("approvals", { version: "2" })
  .step("draft", (ctx) => ({ amount: ctx.input.amount }))
  .step("approval", (ctx) => ctx.waitFor("approval", { schema: Approval, timeoutMs: 3_600_000 }), { needs: ["draft"] })
  .step("pay", (ctx) => ({ paid: ctx.steps.approval.approved, amount: ctx.steps.draft.amount }), { needs: ["approval"] })
  .build();

/** `first` waits until the test lets it go, so the run is running while the page acts on it. */
let letGo = (): void => undefined;
const gated = workflow("nightly-batch", { version: "1" })
  .step("first", () => new Promise<number>((resolve) => (letGo = () => resolve(1))))
  .step("second", (ctx) => ctx.steps.first + 1, { needs: ["first"] })
  .build();

/** Two approvals waited for at once: the form sends the one the URL chose, then the one left. */
const twoApprovals = workflow("two-approvals", { version: "1" })
  .step("legal", (ctx) => ctx.waitFor("legal"))
  .step("finance", (ctx) => ctx.waitFor("finance"))
  .step("done", (ctx) => [ctx.steps.legal, ctx.steps.finance], { needs: ["legal", "finance"] })
  .build();

const review = workflow<{ amount: number }>("review", { version: "1" }).step("check", (ctx) => ctx.input.amount < 100).build();
const withChild = workflow<{ amount: number }>("order-with-review", { version: "1" })
  .step("prepare", (ctx) => ctx.input.amount)
  .subworkflow("review", review, { needs: ["prepare"], input: (s) => ({ amount: s.steps.prepare as number }) })
  .step("ship", (ctx) => ({ shipped: ctx.steps.review }), { needs: ["review"] })
  .build();

async function start(h: Harness, name: string, input: unknown): Promise<string> {
  const started = await call(h, "POST", `/api/workflows/${name}/runs`, h.tokens.acme, { input });
  expect(started.status).toBe(202);
  return started.body.runId as string;
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("suspended runs in the dashboard", () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness({ workflows: [approvals, gated, withChild, twoApprovals] }), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("a run waiting for approval: listed as waiting, the banner says for what; a bad payload shows the field error; the signal completes it live", async () => {
    const runId = await start(h, "approvals", { amount: 120 });
    await until("the wait", async () => (await h.store.getRun("acme", runId))?.status === "suspended");
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/?status=suspended`);
    const row = page.locator(`[data-run-id="${runId}"]`);
    await row.waitFor();
    expect(await row.getAttribute("data-status")).toBe("suspended");
    expect(await row.locator('[data-testid="wait-note"]').innerText()).toBe("waiting for approval");
    expect(await row.locator(".badge .dot").evaluate((dot) => getComputedStyle(dot).backgroundColor)).toBe(SUSPENDED_PURPLE);
    expect(await page.locator('.chip.status-suspended[aria-pressed="true"]').count()).toBe(1);
    await screenshot(page, "runs-suspended");

    await row.click();
    const banner = page.locator('[data-testid="suspension-banner"]');
    await banner.waitFor();
    expect(await banner.getAttribute("data-waiting-for")).toBe("approval");
    expect(await banner.locator(".banner-title").innerText()).toMatch(/Waiting for signal\s*approval\s*in step\s*approval/);
    expect(await banner.locator('[data-testid="suspended-by"]').innerText()).toBe("suspended by step:approval");
    expect(await banner.locator('[data-testid="suspension-deadline"]').innerText()).toMatch(/^deadline .* \(in (59|60)m \d+s\)$/);
    expect(await banner.locator('[data-testid="suspension-facts"]').innerText()).toMatch(/since .* ago\)/);
    // The waiting step is drawn in the suspended colour, saying what it waits for.
    const waitingNode = page.locator('[data-step="approval"][data-waiting-for="approval"]');
    await waitingNode.waitFor();
    expect(await waitingNode.locator(".node-meta").innerText()).toBe("waiting for approval");
    // The payload starts from the wait's schema: its required field, with a value of its type.
    const payload = page.locator("#signal-payload");
    expect(JSON.parse(await payload.inputValue())).toEqual({ approved: true });

    // Not JSON: said as it is typed, and the form cannot be sent.
    await payload.fill('{"approved": tru');
    expect(await page.locator('[data-testid="signal-field-error"]').innerText()).toMatch(/^Not JSON: /);
    expect(await page.locator('[data-testid="signal-send"]').isDisabled()).toBe(true);
    // JSON that fails the schema: the server's 400, next to the payload, naming the field.
    await payload.fill('{"approved": "yes"}');
    await page.locator('[data-testid="signal-send"]').click();
    const fieldError = page.locator('[data-testid="signal-field-error"]');
    await fieldError.waitFor();
    expect(await fieldError.innerText()).toMatch(/^body\.approved: signal "approval": payload field \/approved/);
    expect(await payload.getAttribute("aria-invalid")).toBe("true");
    expect((await h.store.getRun("acme", runId))?.status).toBe("suspended");
    await screenshot(page, "run-signal-field-error");

    await payload.fill('{"approved": true, "note": "ok by finance"}');
    await screenshot(page, "run-waiting-for-approval");
    await page.locator('[data-testid="signal-send"]').click();
    await page.locator('[data-testid="run-view"][data-run-status="completed"]').waitFor({ timeout: 5_000 });
    await page.locator('[data-step="pay"][data-status="completed"]').waitFor();
    expect(await banner.count()).toBe(0);
    const events = (await h.store.readRun("acme", runId, { limit: 1_000 })).items.map((item) => item.event);
    expect(events.find((e) => e.type === "signal.received")).toMatchObject({ signal: "approval", payload: { approved: true, note: "ok by finance" }, by: "api-token (account acme)" });
    expect(events.at(-1)).toMatchObject({ type: "run.completed", output: { paid: true, amount: 120 } });
    await page.context().close();
  }, 60_000);

  it("with two waits, sends the signal the URL chose, then the one left; the banner stays until both arrived", async () => {
    const runId = await start(h, "two-approvals", {});
    await until("both waits", async () => (await h.store.readRun("acme", runId, { limit: 1_000 })).items.filter((item) => item.event.type === "run.suspended").length === 2);
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/runs/${runId}?signal=finance`);
    const banner = page.locator('[data-testid="suspension-banner"]');
    await banner.waitFor();
    expect((await banner.getAttribute("data-waiting-for"))?.split(",").sort()).toEqual(["finance", "legal"]);
    expect(await page.locator("#signal-name").inputValue()).toBe("finance");
    await page.locator("#signal-payload").fill('"ok"');
    await page.locator('[data-testid="signal-send"]').click();
    await page.locator('[data-testid="suspension-banner"][data-waiting-for="legal"]').waitFor();
    // One wait left: no choice to make, the form names it.
    expect(await page.locator("code#signal-name").innerText()).toBe("legal");
    await page.locator("#signal-payload").fill('"fine"');
    await page.locator('[data-testid="signal-send"]').click();
    await page.locator('[data-testid="run-view"][data-run-status="completed"]').waitFor({ timeout: 5_000 });
    expect(await banner.count()).toBe(0);
    const last = (await h.store.readRun("acme", runId, { limit: 1_000 })).items.at(-1)?.event;
    expect(last).toMatchObject({ type: "run.completed", output: ["fine", "ok"] });
    await page.context().close();
  }, 60_000);

  it("offers no action to a read-only token, nor for a run this server does not execute", async () => {
    const runId = await start(h, "approvals", { amount: 5 });
    await until("the wait", async () => (await h.store.getRun("acme", runId))?.status === "suspended");
    const page = await openPage(browser, h.tokens.acmeReadOnly);
    await page.goto(`${h.url}/runs/${runId}`);
    const banner = page.locator('[data-testid="suspension-banner"]');
    await banner.waitFor();
    expect(await banner.locator('[data-testid="no-actions"]').innerText()).toBe("Read-only token: it cannot signal, suspend or resume runs.");
    expect(await page.locator('[data-testid="signal-form"]').count()).toBe(0);
    expect(await page.locator('[data-testid="resume-run"]').count()).toBe(0);
    await page.context().close();

    // A run of a workflow this server does not have, waiting on another "process" (the harness's bus).
    const elsewhere = workflow("elsewhere", { version: "1" }).step("ask", (ctx) => ctx.waitFor("go")).build();
    const other = elsewhere.start(undefined, { bus: h.bus, accountId: "acme" });
    await until("the other wait", async () => (await h.store.getRun("acme", other.runId))?.status === "suspended");
    const writer = await openPage(browser, h.tokens.acme);
    await writer.goto(`${h.url}/runs/${other.runId}`);
    await writer.locator('[data-testid="suspension-banner"]').waitFor();
    expect(await writer.locator('[data-testid="no-actions"]').innerText()).toMatch(/^This server does not execute the run and cannot resume it/);
    expect(await writer.locator('[data-testid="signal-form"]').count()).toBe(0);
    other.cancel("test over");
    await other.result.catch(() => undefined);
    await writer.context().close();
  }, 60_000);

  it("suspends a running run from its view (the next step waits) and resumes it to the end", async () => {
    const runId = await start(h, "nightly-batch", {});
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/runs/${runId}`);
    await page.locator('[data-step="first"][data-status="running"]').waitFor();
    // A read-only token sees no Suspend button.
    const viewer = await openPage(browser, h.tokens.acmeReadOnly);
    await viewer.goto(`${h.url}/runs/${runId}`);
    await viewer.locator('[data-step="first"][data-status="running"]').waitFor();
    await viewer.waitForLoadState("networkidle");
    expect(await viewer.locator('[data-testid="suspend-run"]').count()).toBe(0);
    await viewer.context().close();

    await page.getByLabel("Reason to suspend").fill("waiting for the warehouse window");
    await page.locator('[data-testid="suspend-run"]').click();
    const banner = page.locator('[data-testid="suspension-banner"][data-paused="true"]');
    await banner.waitFor();
    expect(await banner.locator(".banner-title").innerText()).toBe("Paused");
    expect(await banner.locator('[data-testid="suspension-reason"]').innerText()).toBe("“waiting for the warehouse window”");
    expect(await banner.locator('[data-testid="suspended-by"]').innerText()).toMatch(/^suspended by api-token \S+ \(account acme\)$/);
    expect(await page.locator('[data-testid="suspend-run"]').count()).toBe(0);
    letGo();
    await page.locator('[data-step="first"][data-status="completed"]').waitFor();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await page.locator('[data-step="second"]').getAttribute("data-status")).toBe("pending");
    await screenshot(page, "run-paused");

    await page.locator('[data-testid="resume-run"]').click();
    await page.locator('[data-testid="run-view"][data-run-status="completed"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-step="second"]').getAttribute("data-status")).toBe("completed");
    const types = (await h.store.readRun("acme", runId, { limit: 1_000 })).items.map((item) => item.event).filter((e) => e.type === "run.suspended" || e.type === "run.resumed");
    expect(types).toEqual([
      expect.objectContaining({ type: "run.suspended", reason: "waiting for the warehouse window" }),
      expect.objectContaining({ type: "run.resumed", reason: "resumed from the dashboard" }),
    ]);
    await page.context().close();
  }, 60_000);

  it("a sub-workflow node opens its child run, whose view links back to the parent's step", async () => {
    const runId = await start(h, "order-with-review", { amount: 40 });
    await until("the run to complete", async () => (await h.store.getRun("acme", runId))?.status === "completed");
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/runs/${runId}`);
    const link = page.locator('[data-step="review"] [data-child-run]');
    await link.waitFor();
    const childId = await link.getAttribute("data-child-run");
    const children = (await h.store.listRuns("acme", { parentRunId: runId })).items;
    expect(children.map((run) => run.runId)).toEqual([childId]);
    await screenshot(page, "run-subworkflow-parent");

    await link.click();
    await page.waitForURL(`${h.url}/runs/${childId}`);
    await page.locator('[data-testid="run-view"][data-run-status="completed"]').waitFor();
    expect(await page.locator("h1").innerText()).toMatch(/^review/);
    const back = page.locator('[data-testid="parent-link"]');
    expect(await back.innerText()).toMatch(/sub-workflow of .* · step review/);
    await screenshot(page, "run-subworkflow-child");
    await back.click();
    await page.waitForURL(`${h.url}/runs/${runId}?step=review`);
    await page.locator('[data-testid="step-panel"] h2', { hasText: "review" }).waitFor();
    // The step's panel lists the child runs it started.
    expect(await page.locator('[data-testid="child-runs"] a').getAttribute("href")).toBe(`/runs/${childId}`);
    await page.context().close();
  }, 60_000);
});
