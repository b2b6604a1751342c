/**
 * A resumed run's trail is the trail the run would have had without the interruption: folding
 * the stored trail of a run that waited, lost its process and was resumed elsewhere gives the
 * same state (and the same events, in the same order) as a run of the same workflow that got its
 * signal in the process that started it. Only times and run ids differ.
 */
import { describe, expect, it } from "vitest";
import { createBus, projectRun, type RuntrailEvent } from "runtrail";
import { resumeRun, workflow, type Workflow } from "../../src/engine/index.js";
import { createStoreWriter, type EventStore } from "../../src/store/index.js";
import { STORES } from "../store/store-fixtures.js";

const TIMING = new Set(["ts", "id", "durationMs", "durationsMs", "startedAt", "endedAt", "queuedAt", "queuedMs", "deadline", "lastEventAt"]);

/** The value without what depends on the clock, and with the top run's id as `<run>` (children's ids derive from it). */
function normal(value: unknown, runId: string): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (TIMING.has(key) ? undefined : v)).replaceAll(runId, "<run>"));
}

function purchase(): Workflow<{ items: number[] }, unknown> {
  const review = workflow<number>("review", { version: "1" })
    .step("check", (ctx) => ctx.input + 1)
    .step("approve", async (ctx) => ({ ok: (await ctx.waitFor<{ ok: boolean }>("approve")).ok, checked: ctx.steps.check }), { needs: ["check"] })
    .build();
  const line = workflow<number>("line").step("price", (ctx) => ctx.input * 10).build();
  return workflow<{ items: number[] }>("purchase", { version: "1" })
    .vars({ stage: "new" })
    .step("draft", (ctx) => {
      ctx.vars.set("stage", "drafted");
      return ctx.input.items.length;
    })
    .foreach("lines", { items: "input.items", do: line }, { needs: ["draft"] })
    .step("note", () => "noted", { needs: ["draft"] })
    .subworkflow("review", review, { needs: ["lines", "note"], input: (s) => s.steps.draft })
    .step("confirm", async (ctx) => (await ctx.waitFor<string>("confirm")) + ctx.steps.lines.length, { needs: ["review"] })
    .step("pay", (ctx) => {
      ctx.vars.set("stage", "paid");
      return { total: ctx.steps.lines.reduce((a, b) => a + b, 0), ok: ctx.steps.review.ok, confirm: ctx.steps.confirm };
    }, { needs: ["confirm"] })
    .build();
}

async function until(store: EventStore, runId: string, type: string, count = 1): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const events = (await store.readRun("default", runId, { limit: 1_000 })).items.filter((item) => item.event.type === type);
    if (events.length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`run ${runId} never stored ${count} ${type}`);
}

async function waitsFor(run: { waitingFor(): readonly string[] }, name: string): Promise<void> {
  for (let i = 0; i < 500 && !run.waitingFor().includes(name); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(run.waitingFor()).toContain(name);
}

async function trailOf(store: EventStore, runId: string): Promise<RuntrailEvent[]> {
  return (await store.readRun("default", runId, { limit: 1_000 })).items.map((item) => item.event);
}

describe("a resumed run folds to the state of an uninterrupted one", () => {
  for (const factory of STORES) {
    it(`the stored trails (${factory.name}): same events in order, same state, parent and sub-workflow run`, async () => {
      const opened = await factory.open();
      try {
        const input = { items: [1, 2, 3] };
        // Uninterrupted: both signals arrive in the process that runs it.
        const bus = createBus();
        const writer = createStoreWriter(bus, opened.store);
        const whole = purchase().start(input, { bus });
        await waitsFor(whole, "approve");
        await whole.signal("approve", { ok: true });
        await waitsFor(whole, "confirm");
        await whole.signal("confirm", "yes");
        const output = await whole.result;
        await writer.close();

        // Interrupted twice: each wait is answered by a new "process" resuming from the store.
        const firstBus = createBus();
        const firstWriter = createStoreWriter(firstBus, opened.store);
        const interrupted = purchase().start(input, { bus: firstBus });
        await until(opened.store, interrupted.runId, "run.suspended");
        await firstWriter.close();
        const second = createBus();
        const secondWriter = createStoreWriter(second, opened.store);
        await (await resumeRun(opened.store, interrupted.runId, purchase(), { bus: second })).signal("approve", { ok: true });
        await until(opened.store, interrupted.runId, "run.suspended", 2);
        await secondWriter.close();
        const third = createBus();
        const thirdWriter = createStoreWriter(third, opened.store);
        const resumed = await resumeRun(opened.store, interrupted.runId, purchase(), { bus: third });
        await resumed.signal("confirm", "yes");
        expect(await resumed.result).toEqual(output);
        await thirdWriter.close();

        for (const [a, b] of [[whole.runId, interrupted.runId], [`${whole.runId}~review~a1`, `${interrupted.runId}~review~a1`]] as const) {
          const straight = await trailOf(opened.store, a);
          const again = await trailOf(opened.store, b);
          expect(again.length).toBeGreaterThan(10);
          expect(normal(again, interrupted.runId)).toEqual(normal(straight, whole.runId));
          expect(normal(projectRun(again), interrupted.runId)).toEqual(normal(projectRun(straight), whole.runId));
        }
        expect(normal(resumed.state(), interrupted.runId)).toEqual(normal(projectRun(await trailOf(opened.store, whole.runId)), whole.runId));
      } finally {
        await opened.dispose();
      }
    });
  }
});
