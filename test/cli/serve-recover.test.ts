/**
 * Crash recovery as a user of `runtrail serve --workflows` sees it: a server executing a run of a
 * `recover: "resume"` workflow is killed with SIGKILL during a step; the next server on the store
 * (with the workflow registered) resumes the run from its trail once the lease expires and
 * completes it, saying so on its output. The steps before the kill ran once, the step running at
 * the kill ran again, and the trail is gap-free from seq 1 with exactly one terminal event.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, startCli, storedEvents, workflowScratch } from "./cli-helpers.js";

const { dir, flows, db, calls, callLines } = workflowScratch("serve-recover");
// While this file exists the "hold" step never ends: only the first (killed) server sees it.
const block = join(dir, "block");

writeFileSync(
  join(flows, "shipping.ts"),
  `import { appendFileSync, existsSync } from "node:fs";
import { workflow } from ${JSON.stringify(join(ROOT, "src/engine/index.ts"))};
const count = (step: string): void => appendFileSync(${JSON.stringify(calls)}, step + "\\n");
export const shipping = workflow<{ n: number }>("shipping", { version: "1", recover: "resume" })
  .step("fetch", (ctx) => { count("fetch"); return ctx.input.n; })
  .step("hold", async (ctx) => {
    count("hold");
    if (existsSync(${JSON.stringify(block)})) await new Promise((resolve) => setTimeout(resolve, 600_000));
    return ctx.steps.fetch + 1;
  }, { needs: ["fetch"] })
  .step("finish", (ctx) => { count("finish"); return { total: ctx.steps.hold }; }, { needs: ["hold"] })
  .build();
`,
);

function serve(): ReturnType<typeof startCli> {
  return startCli(["serve", "--workflows", flows, "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--poll", "50", "--lease-ttl", "1"]);
}


async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("serve --workflows: crash recovery", { timeout: 120_000 }, () => {
  it("SIGKILL during a step: the next serve resumes the run from its trail and completes it", async () => {
    writeFileSync(block, "");
    const first = serve();
    const [, url] = await first.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api[\s\S]*workflow shipping .*\n/, 60_000);
    const started = await fetch(`${url}/api/workflows/shipping/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: { n: 41 } }) });
    const { runId } = (await started.json()) as { runId: string };
    // Killed once the step it is in is stored as started.
    await until(() => storedEvents(db, runId), (events) => events.some((s) => s.event.type === "step.started" && s.event.stepId === "hold"), "hold to start");
    first.child.kill("SIGKILL");
    await first.done;
    rmSync(block);
    expect(callLines()).toEqual(["fetch", "hold"]);

    const second = serve();
    try {
      await second.waitFor(new RegExp(`run ${runId} \\(shipping, account default\\) had lost its process; resumed here from its trail after seq \\d+ \\(recover: "resume"\\)`), 30_000);
      const events = (await until(() => storedEvents(db, runId), (stored) => stored.at(-1)?.event.type === "run.completed", "the run to complete")).map((s) => s.event);
      expect(events.at(-1)).toMatchObject({ type: "run.completed", output: { total: 42 } });
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => ["run.completed", "run.failed", "run.cancelled"].includes(e.type))).toHaveLength(1);
      expect(events.filter((e) => e.type === "run.resumed")).toEqual([expect.objectContaining({ by: "recovery", reason: expect.stringMatching(/^recovered after lease expiry of .*running again: "hold" attempt 1$/) })]);
      expect(callLines()).toEqual(["fetch", "hold", "hold", "finish"]);
      expect(second.output.stdout).not.toContain("RunAbandoned");
    } finally {
      second.child.kill("SIGTERM");
      await second.done;
    }
  });
});
