/**
 * `runtrail run` of a workflow whose step waits for a signal: the run suspends with nothing left to
 * do, so the command lets go of it (exit 3, saying what it waits for and how to resume it) instead
 * of holding a process that no signal can reach. The stored run is then resumed by
 * `runtrail serve --workflows` on `runtrail signal`, and its first step ran once.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_RUN_SUSPENDED } from "../../src/cli/cli-errors.js";
import { ROOT, runCli, startCli, storedRuns, storedUntil, workflowScratch, type CliProcess } from "./cli-helpers.js";

const { dir, flows, db, calls, callLines } = workflowScratch("run-suspended");
writeFileSync(
  join(flows, "sign-off.ts"),
  `import { appendFileSync } from "node:fs";
import { workflow } from ${JSON.stringify(join(ROOT, "src/engine/index.ts"))};
export default workflow<number>("sign-off", { version: "1" })
  .step("draft", (ctx) => { appendFileSync(${JSON.stringify(calls)}, "draft\\n"); return ctx.input * 2; })
  .step("approve", (ctx) => ctx.waitFor<{ ok: boolean }>("approval", { timeoutMs: 3_600_000 }), { needs: ["draft"] })
  .step("ship", (ctx) => ({ ok: ctx.steps.approve.ok, amount: ctx.steps.draft }), { needs: ["approve"] })
  .build();
`,
);

let server: CliProcess | undefined;
afterAll(async () => {
  server?.child.kill("SIGTERM");
  if (server !== undefined) await server.done;
}, 30_000);

describe("runtrail run of a run that waits for a signal", { timeout: 90_000 }, () => {
  it("exits 3 once the run is suspended and idle, naming the wait and the resume; serve then finishes it on the signal", async () => {
    const started = Date.now();
    const ran = await runCli(["run", join(flows, "sign-off.ts"), "--input", "21", "--db", db, "--progress", "plain"]);
    // It did not sit out the wait's one-hour timeout timer.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(ran.code).toBe(EXIT_RUN_SUSPENDED);
    expect(ran.stderr).toMatch(/is suspended, waiting for signal "approval"; its trail is stored/);
    expect(ran.stderr).toContain(`runtrail serve --workflows DIR --db ${db}`);
    const runId = /run (\S+) is suspended/.exec(ran.stderr)?.[1];
    expect(runId).toBeDefined();
    expect((await storedRuns(db)).find((r) => r.runId === runId)?.status).toBe("suspended");

    server = startCli(["serve", "--workflows", flows, "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--poll", "50"]);
    const [, url] = (await server.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api/, 60_000)) as unknown as [string, string];
    const sent = await runCli(["signal", runId!, "approval", "--data", '{"ok":true}', "--url", url]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const trail = await storedUntil(db, runId!);
    expect(trail.at(-1)).toMatchObject({ type: "run.completed", output: { ok: true, amount: 42 } });
    expect(trail.map((e) => e.seq)).toEqual(trail.map((_, i) => i + 1));
    expect(callLines()).toEqual(["draft"]);
  });

  it("serve stopped with SIGTERM lets go of a waiting run (not cancelled, not abandoned); the next serve resumes it on the signal", async () => {
    rmSync(calls, { force: true });
    const first = startCli(["serve", "--workflows", flows, "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--poll", "50", "--grace", "20"]);
    const [, url] = (await first.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api/, 60_000)) as unknown as [string, string];
    const started = await fetch(`${url}/api/workflows/sign-off/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: 5 }) });
    const runId = ((await started.json()) as { runId: string }).runId;
    for (let i = 0; i < 100 && (await storedRuns(db)).find((r) => r.runId === runId)?.status !== "suspended"; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = Date.now();
    first.child.kill("SIGTERM");
    await first.waitFor(/1 suspended run\(s\) left waiting in the store/, 15_000);
    expect((await first.done).code).toBe(0);
    // Not held to the 20 s grace: the run only waited.
    expect(Date.now() - stopping).toBeLessThan(15_000);
    expect((await storedRuns(db)).find((r) => r.runId === runId)?.status).toBe("suspended");

    server?.child.kill("SIGTERM");
    if (server !== undefined) await server.done;
    server = startCli(["serve", "--workflows", flows, "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--poll", "50"]);
    const [, url2] = (await server.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api/, 60_000)) as unknown as [string, string];
    // Its lease sweep has run: the let-go run was not ended as abandoned.
    expect((await storedRuns(db)).find((r) => r.runId === runId)?.status).toBe("suspended");
    const sent = await runCli(["signal", runId, "approval", "--data", '{"ok":true}', "--url", url2]);
    expect(sent.stderr).toBe("");
    const trail = await storedUntil(db, runId);
    expect(trail.at(-1)).toMatchObject({ type: "run.completed", output: { ok: true, amount: 10 } });
    expect(trail.map((e) => e.seq)).toEqual(trail.map((_, i) => i + 1));
    expect(callLines()).toEqual(["draft"]);
  });
});
