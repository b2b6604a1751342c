/// <reference lib="dom" />
// (code inside page.evaluate runs in the browser)
/**
 * The run view's graph and timeline from what the engine tells: edges are the workflow's own
 * dependencies (from `run.started.graph`), loops are groups around their bodies and collapse
 * to one node each above a few hundred nodes, and the time a step waited for a concurrency slot
 * shows apart from its run time.
 */
import type { Browser, Page } from "playwright-core";
import { workflow, type EventInput } from "runtrail";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitCommitted, type Harness } from "../server/server-fixtures.js";
import { launchBrowser, openPage, ordersWorkflow, screenshot, startDashboardServer, startRun } from "./browser-fixtures.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ids of the graph's edges on the page (React Flow names each `rf__edge-<id>`). */
async function edgeIds(page: Page): Promise<string[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('[data-testid^="rf__edge-"]')).map((el) => el.getAttribute("data-testid")!.slice("rf__edge-".length)).sort());
}

describe("the run graph and timeline", () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startDashboardServer(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("draws the workflow's own dependencies, not guesses from the waves", async () => {
    const run = startRun(h, ordersWorkflow(), "acme");
    await run.result;
    await h.writer.flush();
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/runs/${run.runId}`);
    await page.locator('[data-testid="run-graph"][data-edges="defined"]').waitFor();
    await page.locator('[data-step="store"][data-status="completed"]').waitFor();
    // fetch → parse, fetch → enrich, parse → store, enrich → store: no parse → enrich, no fetch → store.
    await expect.poll(() => edgeIds(page)).toEqual(["enrich->store", "fetch->enrich", "fetch->parse", "parse->store"]);
    await page.context().close();
  }, 30_000);

  it("draws a loop as a group around its body, and an if's arms as labelled edges", async () => {
    const body = workflow<number>("body")
      .step("double", (ctx) => ctx.input * 2)
      .step("check", (ctx) => ctx.steps.double > 0, { needs: ["double"] })
      .build();
    const wf = workflow<number[]>("batches")
      .step("load", (ctx) => ctx.input)
      .if("many", "size(steps.load) > 2", { then: ["each"], else: ["one"] }, { needs: ["load"] })
      .foreach("each", { items: "steps.load", do: body }, { needs: ["load"] })
      .step("one", () => 1)
      .build();
    const handle = wf.start([1, 2, 3, 4], { bus: h.bus, accountId: "acme" });
    await handle.result;
    await h.writer.flush();
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/runs/${handle.runId}`);
    const group = page.locator('[data-node="each"][data-kind="foreach"]');
    await group.waitFor();
    // The body's steps are inside the loop's box, with their iterations counted.
    const inner = page.locator('.react-flow__node[data-id="each/double"]');
    await expect.poll(() => inner.innerText(), { timeout: 10_000 }).toContain("4/4 iterations");
    const [outer, innerBox] = await Promise.all([page.locator('.react-flow__node[data-id="each"]').boundingBox(), inner.boundingBox()]);
    expect(innerBox!.x).toBeGreaterThan(outer!.x);
    expect(innerBox!.y + innerBox!.height).toBeLessThanOrEqual(outer!.y + outer!.height);
    await expect.poll(() => edgeIds(page)).toEqual(["each/double->each/check", "load->each", "load->many", "many->each", "many->one"]);
    await expect(page.locator(".react-flow__edge-text").allTextContents()).resolves.toEqual(expect.arrayContaining(["then", "else"]));
    await page.locator('[data-step="one"][data-status="skipped"]').waitFor();
    await screenshot(page, "run-view-loop");
    await page.context().close();
  }, 30_000);

  it("collapses each loop to one node above a few hundred nodes", async () => {
    const workflowRef = { name: "wide-loop" };
    const base = { runId: "run-wide", accountId: "acme", workflow: workflowRef };
    const inner = Array.from({ length: 400 }, (_, i) => ({ id: `s${i}`, kind: "step" as const, in: ["rows"], ...(i === 0 ? {} : { needs: [`s${i - 1}`] }) }));
    const events: EventInput[] = [
      { ...base, type: "run.started", totalSteps: 2, graph: { steps: [{ id: "load", kind: "step" }, { id: "rows", kind: "foreach", needs: ["load"] }, ...inner] } },
      { ...base, type: "step.started", stepId: "load" },
      { ...base, type: "step.completed", stepId: "load", durationMs: 1 },
      { ...base, type: "step.started", stepId: "rows" },
      { ...base, type: "step.started", stepId: "s0", path: [0] },
      { ...base, type: "step.completed", stepId: "s0", path: [0], durationMs: 1 },
    ];
    await emitCommitted(h, events);
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/runs/run-wide`);
    const loop = page.locator('[data-node="rows"]');
    // React Flow draws a node hidden until it has measured it (innerText of a hidden node is ""): poll.
    await expect.poll(() => loop.innerText(), { timeout: 10_000 }).toContain("400 steps inside");
    expect(await page.locator('[data-node^="rows/"]').count()).toBe(0);
    expect(await page.locator(".react-flow__node").count()).toBe(2);
    await expect.poll(() => edgeIds(page)).toEqual(["load->rows"]);
    await page.context().close();
  }, 30_000);

  it("shows the time a step waited for a concurrency slot apart from its run time, in the timeline and its panel", async () => {
    const wf = workflow("queued")
      .step("root", () => 0)
      .step("first", () => sleep(150), { needs: ["root"] })
      .step("second", () => sleep(150), { needs: ["root"] })
      .build();
    const handle = wf.start(undefined, { bus: h.bus, accountId: "acme", concurrency: 1 });
    await handle.result;
    await h.writer.flush();
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/runs/${handle.runId}`);
    const second = page.locator('[data-step-key="second"]');
    await second.waitFor();
    // The second step waited for the first (about 150 ms): a queue bar, then its run bar after it.
    const queued = second.getByTestId("queued-bar");
    await queued.waitFor();
    const [queueBox, runBox] = await Promise.all([queued.boundingBox(), second.locator(".bar").boundingBox()]);
    expect(queueBox!.width).toBeGreaterThan(20);
    expect(runBox!.x).toBeGreaterThanOrEqual(queueBox!.x + queueBox!.width - 2);
    expect(await page.locator('[data-step-key="first"]').getByTestId("queued-bar").count()).toBe(0);
    await expect.poll(() => second.innerText(), { timeout: 10_000 }).toMatch(/queued 1\d\d ms/);
    await second.click();
    await expect(page.getByTestId("step-queued").innerText()).resolves.toMatch(/^1\d\d ms waiting for a concurrency slot$/);
    await screenshot(page, "run-view-queued");
    await page.context().close();
  }, 30_000);

  it("lists a step's tool and LLM calls with the tool's name, the model, the tokens and the duration", async () => {
    const wf = workflow("agent")
      .step("answer", async (ctx) => {
        const hits = await ctx.tool("search", { q: "runtrail" }, async () => {
          await sleep(30);
          return ["a", "b"];
        });
        await ctx.tool("lookup", { id: 1 }, () => {
          throw new Error("lookup service down");
        }).catch(() => undefined);
        return ctx.llm({ model: "gpt-4o-mini", prompt: hits }, async () => {
          await sleep(40);
          return { text: "done", usage: { prompt_tokens: 12, completion_tokens: 5 } };
        });
      })
      .build();
    const handle = wf.start(undefined, { bus: h.bus, accountId: "acme" });
    await handle.result;
    await h.writer.flush();
    const page = await openPage(browser, h.tokens.acme);
    await page.goto(`${h.url}/runs/${handle.runId}?step=answer`);
    const calls = page.getByTestId("calls").locator("li");
    await expect.poll(() => calls.count()).toBe(3);
    const [search, lookup, llm] = (await calls.allInnerTexts()).map((text) => text.trim());
    expect(search).toMatch(/^tool search · completed · \d+ ms$/);
    expect(lookup).toContain("tool lookup · failed");
    expect(lookup).toContain("lookup service down");
    expect(llm).toMatch(/^llm gpt-4o-mini · completed · 12 \+ 5 tokens · \d+ ms$/);
    // A call links to its first event.
    await calls.nth(2).click();
    await expect(page.getByTestId("event-panel").innerText()).resolves.toContain("llm.requested");
    await page.context().close();
  }, 30_000);
});
