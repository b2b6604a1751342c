/**
 * A wait inside a sub-workflow run, across processes: the first process starts the parent, whose
 * sub-workflow step's child waits for approval, and exits; `runtrail serve --workflows` in a new
 * process gets `runtrail signal <parent run id>` over HTTP, resumes the parent from its trail
 * (the child from its own) and finishes both. Each step before the wait ran once (calls are
 * counted in a file); both trails are gap-free from seq 1.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { subRunId } from "../../src/engine/run/run-restore.js";
import { ROOT, runCli, runScript, startCli, storedEvents, storedUntil, workflowScratch, type CliProcess } from "./cli-helpers.js";

const { dir, flows, db, calls, callLines } = workflowScratch("sub-signal");

writeFileSync(
  join(flows, "purchase.ts"),
  `import { appendFileSync } from "node:fs";
import { workflow } from ${JSON.stringify(join(ROOT, "src/engine/index.ts"))};
const count = (step: string): void => appendFileSync(${JSON.stringify(calls)}, step + "\\n");
const review = workflow<number>("review", { version: "1" })
  .step("check", (ctx) => { count("child.check"); return ctx.input + 1; })
  .step("approve", async (ctx) => {
    count("child.approve");
    const answer = await ctx.waitFor<{ ok: boolean }>("approve", { schema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] } });
    return { ok: answer.ok, checked: ctx.steps.check };
  }, { needs: ["check"] })
  .build();
export const purchase = workflow<number>("purchase", { version: "1" })
  .step("draft", (ctx) => { count("parent.draft"); return ctx.input * 10; })
  .subworkflow("review", review, { needs: ["draft"], input: (s) => s.steps.draft })
  .step("pay", (ctx) => { count("parent.pay"); return { paid: ctx.steps.review.ok, checked: ctx.steps.review.checked }; }, { needs: ["review"] })
  .build();
`,
);

const starter = join(dir, "start-run.ts");
writeFileSync(
  starter,
  `import { createBus } from ${JSON.stringify(join(ROOT, "src/bus/index.ts"))};
import { createStoreWriter } from ${JSON.stringify(join(ROOT, "src/store/index.ts"))};
import { openSqliteStore } from ${JSON.stringify(join(ROOT, "src/store/sqlite/index.ts"))};
import { purchase } from "./flows/purchase.ts";
const store = await openSqliteStore({ path: ${JSON.stringify(db)} });
const bus = createBus();
const writer = createStoreWriter(bus, store);
let suspended = 0;
const both = new Promise<void>((resolve) => bus.onEvent(() => void (++suspended === 2 && resolve()), { type: "run.suspended" }));
const run = purchase.start(4, { bus });
await both;
await writer.close();
await store.close();
console.log("waiting " + run.runId);
`,
);

let server: CliProcess | undefined;
let serverUrl: string | undefined;
/** One `serve --workflows` for the file's tests, started by the first that needs it. */
async function serverUrlOf(): Promise<string> {
  if (serverUrl !== undefined) return serverUrl;
  server = startCli(["serve", "--workflows", flows, "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--poll", "50"]);
  const [, url] = (await server.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api/, 60_000)) as unknown as [string, string];
  serverUrl = url;
  return url;
}
afterAll(async () => {
  server?.child.kill("SIGTERM");
  if (server !== undefined) await server.done;
}, 30_000);




describe("a wait inside a sub-workflow resumes in another process", { timeout: 120_000 }, () => {
  it("runtrail signal <parent> → serve resumes the parent and its child; both finish; earlier steps ran once; both trails gap-free", async () => {
    const first = await runScript(starter);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const parentId = /waiting (\S+)/.exec(first.stdout)?.[1];
    expect(parentId).toBeDefined();
    const childId = subRunId(parentId!, { stepId: "review", attempt: 1 });
    expect(callLines()).toEqual(["parent.draft", "child.check", "child.approve"]);
    expect((await storedEvents(db, parentId!)).at(-1)?.event).toMatchObject({ type: "run.suspended", waitingFor: "approve", wait: { runId: childId } });

    const url = await serverUrlOf();
    const sent = await runCli(["signal", parentId!, "approve", "--data", '{"ok":true}', "--url", url]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);

    const parent = await storedUntil(db, parentId!);
    const child = await storedUntil(db, childId);
    expect(parent.at(-1)).toMatchObject({ type: "run.completed", output: { paid: true, checked: 41 } });
    expect(child.at(-1)).toMatchObject({ type: "run.completed", output: { ok: true, checked: 41 } });
    for (const trail of [parent, child]) {
      expect(trail.map((e) => e.seq)).toEqual(trail.map((_, i) => i + 1));
      expect(trail.filter((e) => e.type === "run.started")).toHaveLength(1);
    }
    // The waiting step's own code runs again up to its waitFor (documented); nothing before it does.
    expect(callLines()).toEqual(["parent.draft", "child.check", "child.approve", "child.approve", "parent.pay"]);
    expect(child.find((e) => e.type === "signal.received")).toMatchObject({ signal: "approve", payload: { ok: true }, by: "api" });
    expect(parent.filter((e) => e.type === "run.resumed")).toEqual([expect.objectContaining({ signal: "approve", by: "api" })]);
  });

  it("runtrail signal <child> (the run whose step waits) → serve resumes the tree from its top run; both finish once", async () => {
    rmSync(calls, { force: true });
    const first = await runScript(starter);
    expect(first.code).toBe(0);
    const parentId = /waiting (\S+)/.exec(first.stdout)?.[1];
    const childId = subRunId(parentId!, { stepId: "review", attempt: 1 });
    const url = await serverUrlOf();
    const sent = await runCli(["signal", childId, "approve", "--data", '{"ok":true}', "--url", url]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);

    const parent = await storedUntil(db, parentId!);
    const child = await storedUntil(db, childId);
    expect(parent.at(-1)).toMatchObject({ type: "run.completed", output: { paid: true, checked: 41 } });
    expect(child.at(-1)).toMatchObject({ type: "run.completed" });
    for (const trail of [parent, child]) expect(trail.map((e) => e.seq)).toEqual(trail.map((_, i) => i + 1));
    expect(callLines()).toEqual(["parent.draft", "child.check", "child.approve", "child.approve", "parent.pay"]);
  });
});
