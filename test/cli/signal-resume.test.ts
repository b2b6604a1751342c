/**
 * Across processes: a run waits for approval in a child process that then exits on its own (the
 * wait holds no timer or handle), `runtrail serve --workflows` in a new process receives the
 * signal from `runtrail signal` over HTTP, resumes the run from its trail and finishes it. The
 * steps before the wait ran exactly once (each call appends a line to a file), and the trail is
 * gap-free from seq 1.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, runCli, scratch, startCli, storedEvents, type CliProcess } from "./cli-helpers.js";

const dir = scratch("signal");
const flows = join(dir, "flows");
mkdirSync(flows);
// ESM, as the project is: the scripts below use top-level await.
writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
const db = join(dir, "runtrail.db");
const calls = join(dir, "calls.txt");
const engine = join(ROOT, "src/engine/index.ts");

writeFileSync(
  join(flows, "approvals.ts"),
  `import { appendFileSync } from "node:fs";
import { workflow } from ${JSON.stringify(engine)};
const count = (step: string): void => appendFileSync(${JSON.stringify(calls)}, step + "\\n");
export const approvals = workflow<{ amount: number }>("approvals", { version: "3" })
  .step("draft", (ctx) => { count("draft"); return { amount: ctx.input.amount }; })
  .foreach("lines", { items: "[1, 2]", do: workflow<number>("line").step("price", (ctx) => { count("price"); return ctx.input * 10; }).build() }, { needs: ["draft"] })
  .step("approval", async (ctx) => {
    count("approval");
    const answer = await ctx.waitFor("approval", { schema: { type: "object", properties: { approved: { type: "boolean" } }, required: ["approved"] } });
    return answer as { approved: boolean };
  }, { needs: ["lines"] })
  .step("pay", (ctx) => { count("pay"); return { paid: ctx.steps.approval.approved, total: ctx.steps.lines.reduce((a, b) => a + b, ctx.steps.draft.amount) }; }, { needs: ["approval"] })
  .build();
`,
);

// The first process: starts the run, stores its trail until it waits, closes its store and ends.
const starter = join(dir, "start-run.ts");
writeFileSync(
  starter,
  `import { createBus } from ${JSON.stringify(join(ROOT, "src/bus/index.ts"))};
import { createStoreWriter } from ${JSON.stringify(join(ROOT, "src/store/index.ts"))};
import { openSqliteStore } from ${JSON.stringify(join(ROOT, "src/store/sqlite/index.ts"))};
import { approvals } from "./flows/approvals.ts";
const store = await openSqliteStore({ path: ${JSON.stringify(db)} });
const bus = createBus();
const writer = createStoreWriter(bus, store);
const suspended = new Promise<void>((resolve) => bus.onEvent(() => resolve(), { type: "run.suspended" }));
const run = approvals.start({ amount: 5 }, { bus });
await suspended;
await writer.close();
await store.close();
console.log("waiting " + run.runId);
`,
);

let server: CliProcess | undefined;
afterAll(async () => {
  server?.child.kill("SIGTERM");
  if (server !== undefined) await server.done;
}, 30_000);

function runChild(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    // A wait that held a timer or a handle would keep the child alive: this kill would then fail the test.
    const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (): string[] => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : []);

describe("a suspended run resumes from its trail in another process", { timeout: 120_000 }, () => {
  it("runtrail signal → serve --workflows resumes and finishes it; earlier steps ran once; seq gap-free", async () => {
    const first = await runChild(starter);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const runId = /waiting (\S+)/.exec(first.stdout)?.[1];
    expect(runId).toBeDefined();
    expect(lines()).toEqual(["draft", "price", "price", "approval"]);
    const before = (await storedEvents(db, runId!)).map((s) => s.event);
    expect(before.at(-1)).toMatchObject({ type: "run.suspended", waitingFor: "approval" });

    server = startCli(["serve", "--workflows", flows, "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--poll", "50"]);
    const [, url] = (await server.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api/, 60_000)) as unknown as [string, string];

    const refused = await runCli(["signal", runId!, "approval", "--data", '{"approved":"yes"}', "--url", url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/signal "approval" refused by .* \(400\): signal "approval": payload field \/approved .*\(field body\.approved\)/);
    const badJson = await runCli(["signal", runId!, "approval", "--data", "{oops", "--url", url]);
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toMatch(/--data is not JSON/);

    const sent = await runCli(["signal", runId!, "approval", "--data", '{"approved":true}', "--url", url]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(new RegExp(`signal "approval" delivered to run ${runId!}`));

    let events = (await storedEvents(db, runId!)).map((s) => s.event);
    for (let i = 0; i < 200 && events.at(-1)?.type !== "run.completed"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      events = (await storedEvents(db, runId!)).map((s) => s.event);
    }
    expect(events.at(-1)).toMatchObject({ type: "run.completed", output: { paid: true, total: 35 } });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "run.started")).toHaveLength(1);
    expect(events.filter((e) => e.type === "loop.iteration")).toHaveLength(2);
    // The waiting step's own code runs again up to its waitFor (documented); nothing before it does.
    expect(lines()).toEqual(["draft", "price", "price", "approval", "approval", "pay"]);
    expect(events.find((e) => e.type === "signal.received")).toMatchObject({ signal: "approval", payload: { approved: true }, by: "api" });
    const resumed = events.filter((e) => e.type === "run.resumed");
    expect(resumed).toEqual([expect.objectContaining({ signal: "approval" })]);
  });

  it("signal --help shows an example", async () => {
    const help = await runCli(["signal", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("$ runtrail signal 0b7c… approval --data '{\"approved\":true}'");
  });
});
