/**
 * The engine's side of crash recovery: `recover` (workflow option, builder and spec) and
 * `idempotent` (step option) are typed, validated and compiled; `Workflow.resume(trail, {
 * recovery })` refuses when a step marked `idempotent: false` was running when the trail ends
 * (in a loop body, or inside a sub-workflow step, too), not for a step parked in `waitFor`; and
 * otherwise runs the running steps again after a `run.resumed` that says why.
 */
import { describe, expect, it } from "vitest";
import { createBus, validateEvent, type RuntrailEvent } from "runtrail";
import { parseWorkflow, ResumeRefusedError, workflow, WorkflowDefinitionError } from "../../src/engine/index.js";
import { sleep } from "./engine-helpers.js";

/** Starts a run and returns its trail once `ready` holds for it (a process's trail when it died). */
async function trailWhen(start: (bus: ReturnType<typeof createBus>) => { runId: string }, ready: (events: readonly RuntrailEvent[]) => boolean): Promise<RuntrailEvent[]> {
  const bus = createBus();
  const events: RuntrailEvent[] = [];
  bus.onEvent((e) => events.push(e));
  const { runId } = start(bus);
  for (let i = 0; i < 500 && !ready(events); i++) await sleep(2);
  expect(ready(events)).toBe(true);
  return events.filter((e) => e.runId === runId);
}

const started = (stepId: string) => (events: readonly RuntrailEvent[]) => events.some((e) => e.type === "step.started" && e.stepId === stepId);
const never = (): Promise<never> => new Promise(() => undefined);
const recovery = { by: "recovery", reason: "recovered after lease expiry of host-a pid 1 (lease x)" };

describe("recover and idempotent options", () => {
  it("are typed, default to fail / true, and are validated in the builder and in specs", () => {
    expect(workflow("plain").step("a", () => 1).build().recover).toBe("fail");
    const wf = workflow("orders", { recover: "resume" }).step("charge", () => 1, { idempotent: false }).step("mail", () => 2).build();
    expect(wf.recover).toBe("resume");
    expect(wf.graph.nodes.map((node) => [node.id, node.idempotent])).toEqual([["charge", false], ["mail", true]]);
    const spec = parseWorkflow("name: s\nrecover: resume\nsteps:\n  - id: pay\n    run: pay\n    idempotent: false\n", { handlers: { pay: () => 1 } });
    expect(spec.recover).toBe("resume");
    expect(spec.graph.nodes[0]?.idempotent).toBe(false);
    expect(() => parseWorkflow("name: s\nrecover: maybe\nsteps:\n  - id: pay\n    run: pay\n", { handlers: { pay: () => 1 } })).toThrow(WorkflowDefinitionError);
    expect(() => parseWorkflow("name: s\nrecover: maybe\nsteps:\n  - id: pay\n    run: pay\n", { handlers: { pay: () => 1 } })).toThrow(/\/recover/);
    expect(() => parseWorkflow("name: s\nsteps:\n  - id: pay\n    run: pay\n    idempotent: sometimes\n", { handlers: { pay: () => 1 } })).toThrow(/idempotent/);
    // @ts-expect-error recover is "resume" or "fail"
    expect(() => workflow("bad", { recover: "maybe" }).step("a", () => 1).build()).toThrow(/recover must be "resume" or "fail", got "maybe"/);
  });

  it("a recovery resume refuses when an idempotency-unsafe step was running, naming it, and otherwise reruns it after run.resumed", async () => {
    let first = true;
    const calls: string[] = [];
    const wf = workflow("pay", { recover: "resume" })
      .step("load", () => (calls.push("load"), 3))
      .step("charge", async () => (calls.push("charge"), first ? never() : "charged"), { needs: ["load"], idempotent: false })
      .build();
    const trail = await trailWhen((bus) => wf.start(undefined, { bus }), started("charge"));
    expect(() => wf.resume(trail, { bus: createBus(), recovery })).toThrow(ResumeRefusedError);
    expect(() => wf.resume(trail, { bus: createBus(), recovery })).toThrow(/step "charge" attempt 1 was running when its process died and is marked idempotent: false/);
    // Not a recovery (a signal's resume): the rule is the crash's, not every resume's.
    first = false;
    const safe = workflow("pay", { recover: "resume" })
      .step("load", () => (calls.push("load"), 3))
      .step("charge", async () => (calls.push("charge"), "charged"), { needs: ["load"] })
      .build();
    const resumed = safe.resume(trail, { bus: createBus(), recovery });
    await expect(resumed.result).resolves.toBe("charged");
    expect(calls).toEqual(["load", "charge", "charge"]);
    const events = resumed.history();
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (const e of events) expect(validateEvent(e)).toEqual([]);
    expect(events[trail.length]).toMatchObject({ type: "run.resumed", by: "recovery", reason: recovery.reason, seq: trail.length + 1 });
  });

  it("finds an unsafe step in a loop body and inside a sub-workflow step; a step parked in waitFor does not count", async () => {
    const body = workflow<number>("line").step("send", () => never(), { idempotent: false }).build();
    const looped = workflow("batch").foreach("each", { items: "[1, 2]", do: body }).build();
    const inLoop = await trailWhen((bus) => looped.start(undefined, { bus }), started("send"));
    expect(() => looped.resume(inLoop, { bus: createBus(), recovery })).toThrow(/step "send" \(iteration 0\) attempt 1/);

    const child = workflow("mailer").step("mail", () => never(), { idempotent: false }).build();
    const parent = workflow("notify").subworkflow("mailing", child).build();
    const inChild = await trailWhen((bus) => parent.start(undefined, { bus }), started("mailing"));
    expect(() => parent.resume(inChild, { bus: createBus(), recovery })).toThrow(/step "mailing" attempt 1 .*or runs a sub-workflow with such a step/);

    const waiting = workflow("approve").step("ask", (ctx) => ctx.waitFor("ok"), { idempotent: false }).build();
    const parked = await trailWhen((bus) => waiting.start(undefined, { bus }), (events) => events.some((e) => e.type === "run.suspended"));
    const handle = waiting.resume(parked, { bus: createBus(), recovery });
    // Parked in waitFor: not "running at the kill"; its code runs again up to the wait, as on any resume.
    expect(handle.waitingFor()).toEqual(["ok"]);
    expect(handle.history()[parked.length]).toMatchObject({ type: "run.resumed", by: "recovery" });
    await handle.signal("ok", 7);
    await expect(handle.result).resolves.toBe(7);
  });
});
