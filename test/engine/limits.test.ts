import { describe, expect, it } from "vitest";
import { workflow } from "../../src/engine/index.js";
import { range, recordingBus, sleep } from "./engine-helpers.js";

describe("limits, nesting and backpressure", () => {
  it("a run's concurrency limit bounds the handlers running at once", async () => {
    let inFlight = 0;
    let most = 0;
    let builder = workflow("wide").step("root", () => 0);
    for (let i = 0; i < 10; i++) {
      builder = builder.step(`w${i}`, async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await sleep(2);
        inFlight--;
        return i;
      }, { needs: ["root"] });
    }
    const wf = builder.concurrency(4).build();
    const { bus, events } = recordingBus();
    await wf.run(undefined, { bus });
    expect(most).toBe(4);
    most = 0;
    await wf.run(undefined, { bus, concurrency: 2 });
    expect(most).toBe(2);
    expect(events.filter((e) => e.type === "step.completed").length).toBe(22);
  });

  it("nested foreach loops carry the full iteration path", async () => {
    const { bus, events } = recordingBus();
    const cell = workflow<number>("cell").step("cell", (ctx) => ctx.input * 10).build();
    const row = workflow<number[]>("row").foreach("cols", { items: "input", do: cell }).build();
    const grid = workflow<number[][]>("grid").foreach("rows", { items: "input", concurrency: 1, do: row }).build();
    expect(await grid.run([[1, 2], [3]], { bus })).toEqual([[10, 20], [30]]);
    const paths = events.filter((e) => e.type === "step.completed" && e.stepId === "cell").map((e) => e.path);
    expect(paths).toEqual([[0, 0], [0, 1], [1, 0]]);
    expect(events.filter((e) => e.type === "loop.iteration").map((e) => [e.stepId, e.path])).toEqual([
      ["rows", [0]],
      ["cols", [0, 0]],
      ["cols", [0, 1]],
      ["rows", [1]],
      ["cols", [1, 0]],
    ]);
    expect(events.map((e) => e.seq)).toEqual(range(events.length));
  });

  it("a slow stream reader with a 1-event buffer gets every event in order: the run waits for it", async () => {
    let builder = workflow("paced").step("s0", () => 0);
    for (let i = 1; i < 20; i++) builder = builder.step(`s${i}`, () => i, { needs: [`s${i - 1}` as "s0"] });
    const run = builder.build().runStream(undefined, { bufferSize: 1 });
    const seqs: number[] = [];
    for await (const event of run.events) {
      seqs.push(event.seq);
      if (seqs.length % 7 === 0) await sleep(1);
    }
    expect(await run.result).toBe(19);
    expect(seqs).toEqual(range(2 + 20 * 5));
  });
});
