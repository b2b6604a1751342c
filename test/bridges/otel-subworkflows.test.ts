/**
 * Sub-workflow runs in the span tree: each child run's span hangs under exactly the attempt of
 * the parent's step that started it, named by the child's events (`parentStepId`,
 * `parentAttempt`, `parentPath`), however the parent's steps interleave.
 */
import { createBus, createControl, workflow } from "runtrail";
import { createOtelExporter } from "runtrail/otel";
import { describe, expect, it } from "vitest";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { memoryProvider, SpanTree } from "./otel-fixtures.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A child workflow that takes a while, so sibling runs overlap. */
function slowChild(name: string, ms: number) {
  return workflow<number>(name).step("work", async (ctx) => {
    await sleep(ms);
    return ctx.input;
  }).build();
}

async function traced(run: (bus: ReturnType<typeof createBus>) => Promise<unknown>): Promise<SpanTree> {
  const { provider, memory } = memoryProvider();
  const bus = createBus();
  const exporter = createOtelExporter({ bus, tracerProvider: provider });
  await run(bus);
  await exporter.close();
  const tree = new SpanTree(memory.getFinishedSpans());
  expect(tree.spans.some((span) => span.attributes["runtrail.incomplete"] === true)).toBe(false);
  return tree;
}

const attrs = (span: ReadableSpan | undefined) => [span?.name, span?.attributes["runtrail.step.id"], span?.attributes["runtrail.attempt"], span?.attributes["runtrail.path"]];

describe("OpenTelemetry exporter: sub-workflow spans", () => {
  it("hangs each of several sub-workflows started in one wave under its own step, when control interleaves their starts", async () => {
    // A control handler answers before each step asynchronously, so all three steps of the wave
    // have started (step.started) before any child run does: no order-based guess gets this right.
    const control = createControl();
    control.register(async () => {
      await sleep(5);
      return undefined;
    }, { name: "slow-gate", eventTypes: ["step.started"] });
    const parent = workflow<number>("fan")
      .subworkflow("a", slowChild("alpha", 30))
      .subworkflow("b", slowChild("beta", 20))
      .subworkflow("c", slowChild("gamma", 10))
      .build();
    const tree = await traced((bus) => parent.run(1, { bus, control }));
    for (const [run, step] of [["run alpha", "a"], ["run beta", "b"], ["run gamma", "c"]] as const) {
      expect(tree.ancestry(tree.one(run))).toEqual([`step ${step} attempt 1`, `step ${step}`, "wave 0", "run fan"]);
    }
  });

  it("hangs a retried sub-workflow step's second child run under its second attempt", async () => {
    let calls = 0;
    const flaky = workflow<number>("flaky").step("maybe", (ctx) => {
      if (calls++ === 0) throw new Error("child run 1 fails");
      return ctx.input;
    }).build();
    const parent = workflow<number>("retrying").subworkflow("call", flaky, { retry: { attempts: 2, backoff: 1 } }).build();
    const tree = await traced((bus) => parent.run(7, { bus }));
    const runs = tree.named("run flaky").sort((x, y) => (x.attributes["runtrail.run.status"] === "failed" ? -1 : y.attributes["runtrail.run.status"] === "failed" ? 1 : 0));
    expect(runs.map((span) => span.attributes["runtrail.run.status"])).toEqual(["failed", "completed"]);
    expect(attrs(tree.parentOf(runs[0]!))).toEqual(["step call attempt 1", "call", 1, undefined]);
    expect(attrs(tree.parentOf(runs[1]!))).toEqual(["step call attempt 2", "call", 2, undefined]);
    expect(runs[1]!.attributes).toMatchObject({ "runtrail.parent_step_id": "call", "runtrail.parent_attempt": 2 });
  });

  it("hangs the sub-workflow run of each loop iteration under that iteration's step", async () => {
    const parent = workflow<number[]>("loop")
      .foreach("each", { items: (s) => s.input, concurrency: 3, do: workflow<number>("body").subworkflow("sub", slowChild("leaf", 10)).build() })
      .build();
    const tree = await traced((bus) => parent.run([30, 20, 10], { bus }));
    const leaves = tree.named("run leaf");
    expect(leaves).toHaveLength(3);
    for (const leaf of leaves) {
      const path = leaf.attributes["runtrail.parent_path"];
      expect(attrs(tree.parentOf(leaf))).toEqual(["step sub attempt 1", "sub", 1, path]);
      expect(tree.ancestry(leaf).slice(1, 4)).toEqual(["step sub", "wave 0", `each iteration ${String(path)}`]);
    }
    expect(leaves.map((leaf) => leaf.attributes["runtrail.parent_path"]).sort()).toEqual(["0", "1", "2"]);
  });
});
