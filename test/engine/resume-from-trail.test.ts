import { describe, expect, it } from "vitest";
import { createBus, validateEvent, type RuntrailEvent } from "runtrail";
import { readTrail, ResumeRefusedError, resumeRun, workflow, type TrailReader } from "../../src/engine/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import { STORES } from "../store/store-fixtures.js";
import { range, sleep } from "./engine-helpers.js";

/** Runs until the run's trail ends in run.suspended, as a process would before it exits; returns that trail. */
async function trailUntilSuspended(start: (bus: ReturnType<typeof createBus>) => { runId: string }): Promise<RuntrailEvent[]> {
  const bus = createBus();
  const events: RuntrailEvent[] = [];
  bus.onEvent((e) => events.push(e));
  const { runId } = start(bus);
  for (let i = 0; i < 500 && events.at(-1)?.type !== "run.suspended"; i++) await sleep(2);
  expect(events.at(-1)?.type).toBe("run.suspended");
  return events.filter((e) => e.runId === runId);
}

function gapFree(events: readonly RuntrailEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(range(events.length));
  for (const e of events) expect(validateEvent(e)).toEqual([]);
}

describe("resume from the trail", () => {
  it("restores outputs, variables, loop iterations and a finished sub-workflow; nothing finished runs again", async () => {
    const calls: string[] = [];
    const child = workflow<number>("child").step("inner", (ctx) => {
      calls.push("inner");
      return ctx.input + 1;
    }).build();
    const line = workflow<number>("line").step("price", (ctx) => {
      calls.push(`price${ctx.input}`);
      return ctx.input * 10;
    }).build();
    const make = () =>
      workflow<number>("mixed", { version: "2" })
        .vars({ stage: "new" })
        .step("first", (ctx) => {
          calls.push("first");
          ctx.vars.set("stage", "drafted");
          return ctx.input;
        })
        .subworkflow("sub", child, { needs: ["first"], input: (s) => s.steps.first })
        .foreach("lines", { items: "[1, 2, 3]", do: line }, { needs: ["first"] })
        .step("skipped", () => calls.push("skipped"), { needs: ["first"], when: "false" })
        .step("wait", async (ctx) => (await ctx.waitFor<{ ok: boolean }>("go")).ok, { needs: ["sub", "lines", "skipped"] })
        .step("last", (ctx) => {
          calls.push("last");
          return { stage: ctx.vars.get("stage"), sub: ctx.steps.sub, lines: ctx.steps.lines, ok: ctx.steps.wait };
        }, { needs: ["wait"] })
        .build();
    const trail = await trailUntilSuspended((bus) => make().start(7, { bus }));
    expect(calls.sort()).toEqual(["first", "inner", "price1", "price2", "price3"]);
    calls.length = 0;

    const bus = createBus();
    const after: RuntrailEvent[] = [];
    bus.onEvent((e) => after.push(e));
    const run = make().resume(trail, { bus });
    expect(run.runId).toBe(trail[0]!.runId);
    expect(run.state()?.status).toBe("suspended");
    expect(run.waitingFor()).toEqual(["go"]);
    await run.signal("go", { ok: true });
    expect(await run.result).toEqual({ stage: "drafted", sub: 8, lines: [10, 20, 30], ok: true });
    expect(calls).toEqual(["last"]);
    const whole = [...trail, ...after];
    gapFree(whole);
    for (const type of ["run.started", "wave.started", "loop.started", "loop.iteration", "condition.evaluated"]) {
      const marks = whole.filter((e) => e.type === type).map((e) => JSON.stringify([e.stepId, e.path, (e as { wave?: number }).wave, (e as { kind?: string }).kind]));
      expect(new Set(marks).size, type).toBe(marks.length);
    }
    expect(whole.filter((e) => e.type === "step.started" && e.stepId === "wait")).toHaveLength(1);
    expect(run.state()?.status).toBe("completed");
  });

  it("a wait inside a loop iteration: each iteration's wait is its own, across two resumes", async () => {
    const body = workflow<string>("ask").step("ask", async (ctx) => `${ctx.input}:${await ctx.waitFor<string>("answer")}`).build();
    const make = () => workflow<string[]>("survey").foreach("each", { items: "input", concurrency: 1, do: body }).build();
    const first = await trailUntilSuspended((bus) => make().start(["a", "b"], { bus }));
    expect(first.at(-1)).toMatchObject({ waitingFor: "answer", wait: { stepId: "ask", path: [0] } });

    // The first resume answers iteration 0 and stops again at iteration 1's wait.
    const bus = createBus();
    const second: RuntrailEvent[] = [];
    bus.onEvent((e) => second.push(e));
    await make().resume(first, { bus }).signal("answer", "yes");
    for (let i = 0; i < 500 && !(second.at(-1)?.type === "run.suspended"); i++) await sleep(2);
    expect(second.at(-1)).toMatchObject({ waitingFor: "answer", wait: { path: [1] } });

    const third = createBus();
    const last: RuntrailEvent[] = [];
    third.onEvent((e) => last.push(e));
    const run = make().resume([...first, ...second], { bus: third });
    await run.signal("answer", "no");
    expect(await run.result).toEqual(["a:yes", "b:no"]);
    gapFree([...first, ...second, ...last]);
  });

  it("a run paused from outside resumes paused, and goes on at resume()", async () => {
    const calls: string[] = [];
    const make = () =>
      workflow("paused")
        .step("a", async () => {
          calls.push("a");
          await sleep(20);
          return 1;
        })
        .step("b", () => calls.push("b"), { needs: ["a"] })
        .build();
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((e) => events.push(e));
    const live = make().start(undefined, { bus });
    live.suspend("night", { by: "ops" });
    for (let i = 0; i < 500 && !events.some((e) => e.type === "step.completed"); i++) await sleep(2);
    const run = make().resume(events.filter((e) => e.runId === live.runId), { bus: createBus() });
    await sleep(20);
    expect(calls).toEqual(["a"]);
    expect(run.state()?.status).toBe("suspended");
    expect(run.resume({ by: "ops" })).toBe(true);
    await run.result;
    expect(calls).toEqual(["a", "b"]);
  });

  it("a wait whose deadline passed while no process held it times out on resume, as the step chose", async () => {
    const make = () => workflow("late").step("w", (ctx) => ctx.waitFor("go", { timeoutMs: 30, onTimeout: "resume", timeoutValue: "default" })).build();
    const trail = await trailUntilSuspended((bus) => make().start(undefined, { bus }));
    const deadline = (trail.at(-1) as { wait?: { deadline?: number } }).wait?.deadline;
    expect(deadline).toEqual(expect.any(Number));
    // Drop the live run's later events: only the suspension was stored before "the process ended".
    await sleep(50);
    const run = make().resume(trail, { bus: createBus() });
    await expect(run.signal("go", "too late")).rejects.toThrow(/its wait timed out/);
    expect(await run.result).toBe("default");
    expect(run.history().find((e) => e.type === "signal.timeout")).toMatchObject({ action: "resume" });
  });

  it("refuses an ended run, another workflow, another version, and a run live on the same bus", async () => {
    const wf = workflow("done", { version: "1" }).step("x", () => 1).build();
    const bus = createBus();
    const events: RuntrailEvent[] = [];
    bus.onEvent((e) => events.push(e));
    await wf.run(undefined, { bus });
    expect(() => wf.resume(events)).toThrow(/cannot resume run .*: it has ended \(run\.completed at seq \d+\)/);
    const waiting = workflow("w", { version: "1" }).step("w", (ctx) => ctx.waitFor("go")).build();
    const trail = await trailUntilSuspended((b) => waiting.start(undefined, { bus: b }));
    expect(() => wf.resume(trail)).toThrow(/it was started by workflow "w", not "done"/);
    const v2 = workflow("w", { version: "2" }).step("w", (ctx) => ctx.waitFor("go")).build();
    expect(() => v2.resume(trail)).toThrow(new ResumeRefusedError(trail[0]!.runId, 'it was started by "w" version "1", and this process has version "2"').message);
    expect(() => wf.resume([])).toThrow(ResumeRefusedError);
    expect(() => waiting.resume(trail.slice(1))).toThrow(/starts with .*, not run.started at seq 1/);
  });

  for (const factory of STORES) {
    it(`resumeRun reads the trail from a store (${factory.name}) opened anew, and goes on; the store has the whole trail gap-free`, async () => {
      const opened = await factory.open();
      try {
        const make = () => workflow<number>("stored", { version: "1" }).step("a", (ctx) => ctx.input * 2).step("w", async (ctx) => (await ctx.waitFor<number>("add")) + ctx.steps.a, { needs: ["a"] }).build();
        const firstBus = createBus();
        const firstWriter = createStoreWriter(firstBus, opened.store);
        const suspended = new Promise<void>((resolve) => firstBus.onEvent(() => resolve(), { type: "run.suspended" }));
        const first = make().start(5, { bus: firstBus, accountId: "acme" });
        await suspended;
        await firstWriter.close();

        // "Another process": its own connection to the same database.
        const store = await opened.reopen();
        await expect(resumeRun(store, first.runId, [make()], { accountId: "other" })).rejects.toThrow(/no run ".*" in account "other"/);
        await expect(resumeRun(store, first.runId, [workflow("nope").step("x", () => 1).build()], { accountId: "acme" })).rejects.toThrow(/workflow "stored", which is not registered here \("nope"\)/);
        const bus = createBus();
        const writer = createStoreWriter(bus, store);
        const run = await resumeRun(store, first.runId, make(), { accountId: "acme", bus });
        await run.signal("add", 1);
        expect(await run.result).toBe(11);
        await writer.close();
        const stored = (await store.readRun("acme", first.runId, { limit: 1_000 })).items.map((s) => s.event);
        gapFree(stored);
        expect(stored.at(-1)).toMatchObject({ type: "run.completed", output: 11 });
        expect((await store.getRun("acme", first.runId))?.status).toBe("completed");
      } finally {
        await opened.dispose();
      }
    });
  }

  it("readTrail reads every page, and refuses a trail whose stored data was truncated", async () => {
    const trail = await trailUntilSuspended((bus) => workflow("paged").step("a", () => 1).step("w", (ctx) => ctx.waitFor("go"), { needs: ["a"] }).build().start(undefined, { bus }));
    const pages = (truncatedAt?: number): TrailReader => ({
      async readRun(_account, _runId, options = {}) {
        const after = options.after ?? 0;
        const items = trail.filter((e) => e.seq > after).slice(0, 2).map((event) => (event.seq === truncatedAt ? { event, truncated: [{ path: "/output" }] } : { event }));
        const last = items.at(-1)?.event.seq;
        return last !== undefined && last < trail.length ? { items, next: last } : { items };
      },
    });
    expect((await readTrail(pages(), "default", trail[0]!.runId)).map((e) => e.seq)).toEqual(range(trail.length));
    const completed = trail.find((e) => e.type === "step.completed")!;
    await expect(readTrail(pages(completed.seq), "default", trail[0]!.runId)).rejects.toThrow(`step.completed at seq ${completed.seq} was stored truncated (/output), so its data cannot be restored`);
  });
});
