/**
 * Shutting a server down: `drain()` refuses new runs (503 with the error body), lets executing
 * runs end within the grace and cancels the rest with a stored reason; `close()` does not wait on
 * a connection that never sent a request (Node 20's server.close() does, nodejs/node#63452).
 */
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { workflow } from "runtrail";
import { abortableSleep } from "../../src/common/index.js";
import { iterateRun } from "../../src/store/index.js";
import { auth, startHarness, type Harness } from "./server-fixtures.js";

const sleepy = workflow<{ ms: number }>("sleepy")
  .step("nap", (ctx) => abortableSleep(ctx.input.ms, ctx.signal).then(() => "rested"))
  .build();

async function start(h: Harness, ms: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${h.url}/api/workflows/sleepy/runs`, {
    method: "POST",
    headers: { ...auth(h.tokens.acme), "content-type": "application/json" },
    body: JSON.stringify({ input: { ms } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("server drain and close", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("refuses new runs with 503 draining, waits for runs that end within the grace, cancels the others with a stored reason", async () => {
    h = await startHarness({ workflows: [sleepy] });
    const slow = (await start(h, 60_000)).body.runId as string;
    const quick = (await start(h, 800)).body.runId as string;
    const draining = h.server.drain({ graceMs: 1_500 });
    const refused = await start(h, 1);
    expect(refused).toEqual({
      status: 503,
      body: { error: "draining", message: 'the server is shutting down and starts no new runs; start "sleepy" on another instance or after the restart' },
    });
    // Reads go on while draining.
    expect((await fetch(`${h.url}/api/runs/${quick}`, { headers: auth(h.tokens.acme) })).status).toBe(200);
    const began = Date.now();
    expect(await draining).toEqual({ finished: 1, cancelled: [slow], released: [] });
    expect(Date.now() - began).toBeLessThan(3_000);
    await h.writer.flush();
    expect((await h.store.getRun("acme", quick))?.status).toBe("completed");
    const events = [];
    for await (const { event } of iterateRun(h.store, "acme", slow)) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: "run.cancelled", reason: "the server shut down; the run had not ended within the 1.5 s grace" });
  });

  it("lets go of a run that only waits for a signal: not waited for, not cancelled, left suspended in the store", async () => {
    const waiting = workflow("waiting").step("ask", (ctx) => ctx.waitFor("approval")).build();
    h = await startHarness({ workflows: [waiting] });
    const response = await fetch(`${h.url}/api/workflows/waiting/runs`, { method: "POST", headers: { ...auth(h.tokens.acme), "content-type": "application/json" }, body: "{}" });
    const runId = ((await response.json()) as { runId: string }).runId;
    for (let i = 0; i < 100 && (await h.store.getRun("acme", runId))?.status !== "suspended"; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const began = Date.now();
    expect(await h.server.drain({ graceMs: 5_000 })).toEqual({ finished: 0, cancelled: [], released: [runId] });
    // It did not sit out the grace: there was nothing to wait for.
    expect(Date.now() - began).toBeLessThan(2_000);
    await h.writer.flush();
    const events = [];
    for await (const { event } of iterateRun(h.store, "acme", runId)) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: "run.suspended", waitingFor: "approval" });
    expect((await h.store.getRun("acme", runId))?.status).toBe("suspended");
  });

  it("close() does not wait for a connection that never sent a request, nor for an idle keep-alive one", async () => {
    h = await startHarness();
    const { port } = new URL(h.url);
    const silent = connect(Number(port), "127.0.0.1");
    await new Promise((resolve) => silent.once("connect", resolve));
    silent.on("error", () => undefined);
    // A keep-alive connection that answered one request and sits idle.
    expect((await fetch(`${h.url}/api`)).status).toBe(200);
    const began = Date.now();
    await h.server.close();
    expect(Date.now() - began).toBeLessThan(2_000);
    await new Promise((resolve) => (silent.destroyed ? resolve(undefined) : silent.once("close", resolve)));
  });
});
