/**
 * `runtrail serve` stopping, as a user sees it. SIGTERM drains: new runs get 503 `draining`, a
 * run that ends within `--grace` completes, the rest are cancelled with a stored reason, and the
 * process exits 0 without waiting out any timeout. SIGKILL mid-run: the next `serve` on the
 * store ends the run as `RunAbandoned` once the lease expires, so its stream ends and cancel no
 * longer answers 409 "not executing".
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scratch, startCli, storedEvents } from "./cli-helpers.js";

const dir = scratch("serve-lease");
const WORKFLOWS = "test/cli/fixtures/slow";

async function serve(db: string, ...more: string[]): Promise<{ cli: ReturnType<typeof startCli>; url: string }> {
  const cli = startCli(["serve", "--workflows", WORKFLOWS, "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--poll", "50", ...more]);
  const [, url] = await cli.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api[\s\S]*workflow sleeper .*\n/, 60_000);
  return { cli, url: url! };
}

async function start(url: string, ms: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/api/workflows/sleeper/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: { ms } }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("serve shutdown", { timeout: 120_000 }, () => {
  it("SIGTERM drains: 503 draining for new runs, --grace for executing ones, the rest cancelled with a stored reason, exit 0", async () => {
    const db = join(dir, "drain.db");
    const { cli, url } = await serve(db, "--grace", "2");
    const slow = (await start(url, 120_000)).body.runId as string;
    const quick = (await start(url, 1_000)).body.runId as string;
    const began = Date.now();
    cli.child.kill("SIGTERM");
    await cli.waitFor(/draining: new runs are refused/);
    const refused = await start(url, 1);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: "draining" });
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    // The grace, and no forced-exit or socket timeout on top of it.
    expect(Date.now() - began).toBeLessThan(8_000);
    expect(result.stdout).toContain(`drained: 1 run(s) ended, 1 cancelled (${slow})`);
    expect((await storedEvents(db, quick, "default")).at(-1)?.event.type).toBe("run.completed");
    expect((await storedEvents(db, slow, "default")).at(-1)?.event).toMatchObject({ type: "run.cancelled", reason: "the server shut down; the run had not ended within the 2 s grace" });
  });

  it("SIGKILL mid-run: the next serve ends the run as RunAbandoned; its stream ends and cancel says it failed", async () => {
    const db = join(dir, "kill.db");
    const first = await serve(db, "--lease-ttl", "1");
    const runId = (await start(first.url, 120_000)).body.runId as string;
    first.cli.child.kill("SIGKILL");
    await first.cli.done;
    const second = await serve(db, "--lease-ttl", "1");
    try {
      await second.cli.waitFor(new RegExp(`run ${runId} \\(sleeper, account default\\) had lost its process; ended as failed \\(RunAbandoned\\)`), 30_000);
      const { run } = (await (await fetch(`${second.url}/api/runs/${runId}`)).json()) as { run: Record<string, unknown> };
      expect(run).toMatchObject({ status: "failed", error: { name: "RunAbandoned" } });
      const cancel = await fetch(`${second.url}/api/runs/${runId}/cancel`, { method: "POST", headers: { "content-type": "application/json" } });
      expect(cancel.status).toBe(409);
      expect(((await cancel.json()) as { message: string }).message).toBe(`run "${runId}" has already failed`);
      // The stream replays the trail and ends (no heartbeats for ever).
      const stream = await (await fetch(`${second.url}/api/runs/${runId}/stream?after=0`)).text();
      expect(stream).toMatch(/event: end/);
      expect(stream).toContain('"RunAbandoned"');
    } finally {
      second.cli.child.kill("SIGTERM");
      await second.cli.done;
    }
  });
});
