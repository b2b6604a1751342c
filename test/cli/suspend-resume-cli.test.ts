/**
 * `runtrail suspend`, `runtrail resume` and `runtrail runs` against a real `runtrail serve
 * --workflows`: a running run is suspended (its next step does not start) and resumed to the end;
 * `runs` shows a suspended run with what it waits for (`--status suspended` too); the refusals
 * (a run that waits for a signal, an unknown run, no server) are clear and exit 1.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, runCli, startCli, storedEvents, workflowScratch, type CliProcess } from "./cli-helpers.js";

const { dir, flows, db } = workflowScratch("suspend");
const release = join(dir, "release");
const engine = join(ROOT, "src/engine/index.ts");

// `held` waits in its first step until the test writes the release file, so the run is running
// while the CLI suspends it; `approvals` waits for a signal with a deadline.
writeFileSync(
  join(flows, "flows.ts"),
  `import { existsSync } from "node:fs";
import { workflow } from ${JSON.stringify(engine)};
const released = async (): Promise<void> => { while (!existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 20)); };
export const held = workflow("held", { version: "1" })
  .step("first", async () => { await released(); return 1; })
  .step("second", (ctx) => ctx.steps.first + 1, { needs: ["first"] })
  .build();
export const approvals = workflow("approvals", { version: "1" })
  .step("ask", (ctx) => ctx.waitFor("approval", { timeoutMs: 3_600_000 }))
  .build();
`,
);

let server: CliProcess | undefined;
afterAll(async () => {
  server?.child.kill("SIGTERM");
  if (server !== undefined) await server.done;
}, 30_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function eventTypes(runId: string): Promise<string[]> {
  return (await storedEvents(db, runId)).map((s) => (s.event.stepId === undefined ? s.event.type : `${s.event.type}:${s.event.stepId}`));
}

async function start(url: string, name: string): Promise<string> {
  const response = await fetch(`${url}/api/workflows/${name}/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  expect(response.status).toBe(202);
  return ((await response.json()) as { runId: string }).runId;
}

describe("runtrail suspend / resume / runs against a server", { timeout: 120_000 }, () => {
  it("suspends a running run, shows it in `runs`, resumes it to the end; refusals are clear", async () => {
    server = startCli(["serve", "--workflows", flows, "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--poll", "50"]);
    const [, url] = (await server.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api/, 60_000)) as unknown as [string, string];

    const runId = await start(url, "held");
    const suspended = await runCli(["suspend", runId, "--reason", "night freeze", "--url", url]);
    expect(suspended.stderr).toBe("");
    expect(suspended.code).toBe(0);
    expect(suspended.stdout).toBe(`run ${runId} suspended: no new step starts until \`runtrail resume ${runId}\`\n`);
    writeFileSync(release, "go");

    const waiting = await start(url, "approvals");
    for (let i = 0; i < 100 && !(await eventTypes(waiting)).includes("run.suspended"); i++) await sleep(50);

    const list = await runCli(["runs", "--db", db, "--status", "suspended"]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines.find((line) => line.startsWith(runId))).toMatch(/held@1 +suspended .* events +paused by api: night freeze$/);
    expect(lines.find((line) => line.startsWith(waiting))).toMatch(/approvals@1 +suspended .* waiting for "approval" \(step ask, until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/);
    const all = await runCli(["runs", "--db", db]);
    expect(all.stdout).toContain('waiting for "approval"');

    // The first step finished while suspended; the second has not started.
    for (let i = 0; i < 100 && !(await eventTypes(runId)).includes("step.completed:first"); i++) await sleep(50);
    await sleep(300);
    expect(await eventTypes(runId)).not.toContain("step.started:second");

    const notPaused = await runCli(["resume", waiting, "--url", url]);
    expect(notPaused.code).toBe(1);
    expect(notPaused.stderr).toBe(
      `resume run ${waiting} refused by ${url} (409): run "${waiting}" is not paused: it waits for signal "approval"; send it (POST /api/runs/${waiting}/signals/approval) to resume the run\n`,
    );
    const unknown = await runCli(["suspend", "no-such-run", "--url", url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`suspend run no-such-run refused by ${url} (404): no run "no-such-run"\n`);

    const resumed = await runCli(["resume", runId, "--reason", "morning", "--url", url]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe(`run ${runId} resumed\n`);
    for (let i = 0; i < 100 && !(await eventTypes(runId)).includes("run.completed"); i++) await sleep(50);
    const types = (await eventTypes(runId)).filter((t) => /^(run\.(suspended|resumed|completed)|step\.(started|completed))/.test(t));
    expect(types).toEqual(["step.started:first", "run.suspended", "step.completed:first", "run.resumed", "step.started:second", "step.completed:second", "run.completed"]);
    const events = (await storedEvents(db, runId)).map((s) => s.event);
    expect(events.find((e) => e.type === "run.suspended")).toMatchObject({ reason: "night freeze", by: "api" });
    expect(events.find((e) => e.type === "run.resumed")).toMatchObject({ reason: "morning", by: "api" });
    expect(existsSync(release)).toBe(true);

    const done = await runCli(["resume", runId, "--url", url]);
    expect(done.code).toBe(1);
    expect(done.stderr).toMatch(/\(409\): run ".*" has completed: it can be neither suspended nor resumed/);
    // The server drains its runs when it stops: the waiting one is cancelled, so it stops at once.
    const cancel = await fetch(`${url}/api/runs/${waiting}/cancel`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(cancel.status).toBe(202);
  });

  it("says when no server answers, and shows examples in --help", async () => {
    const gone = await runCli(["resume", "r1", "--url", "http://127.0.0.1:9"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:9: .* \(is `runtrail serve` running\?\)\n$/);
    const help = await runCli(["suspend", "--help"]);
    expect(help.stdout).toContain('$ runtrail suspend 0b7c… --reason "waiting for the quota to reset"');
    const runsHelp = await runCli(["runs", "--help"]);
    expect(runsHelp.stdout).toContain("$ runtrail runs --status suspended");
  });
});
