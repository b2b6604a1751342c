/**
 * `runtrail serve --workflows DIR` and `runtrail tail --url`: the served workflows start through
 * the API, the printed URLs answer (the API index, not a 404), a tail follows the run through the
 * server's SSE stream gap-free to its end and exits by the run's outcome, and a refused token is
 * an error naming the URL and the status. `serve --account` is the open-mode account.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenCommand } from "../../src/cli/token-command.js";
import { ESCAPE, ndjson, runCli, scratch, startCli, storedEvents, type CliProcess } from "./cli-helpers.js";

const dir = scratch("serve");
const db = join(dir, "runtrail.db");
let server: CliProcess;
let url: string;

beforeAll(async () => {
  server = startCli(["serve", "--workflows", "examples", "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--poll", "50", "--account", "team"]);
  [, url] = (await server.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api \(OpenAPI: .*\)\n[\s\S]*workflow release-train .*\n/, 60_000)) as unknown as [string, string];
}, 90_000);

afterAll(async () => {
  server.child.kill("SIGTERM");
  expect((await server.done).code).toBe(0);
}, 60_000);

async function start(name: string, input?: unknown): Promise<string> {
  const response = await fetch(`${url}/api/workflows/${name}/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(input === undefined ? {} : { input }) });
  expect(response.status).toBe(202);
  return ((await response.json()) as { runId: string }).runId;
}

describe("serve --workflows and tail --url", { timeout: 120_000 }, () => {
  it("prints every URL it serves, each answers; the folder's workflows are listed and startable", async () => {
    const out = server.output.stdout;
    expect(out).toContain(`[runtrail] no API tokens configured: listening on loopback (127.0.0.1) only; every request acts for account "team"\n`);
    expect(out).toContain(`[runtrail] dashboard: ${url}/\n`);
    for (const name of ["expense-approval", "order-pipeline", "release-train"]) expect(out).toContain(`[runtrail] workflow ${name} (`);
    expect(out).toMatch(/order-spec\.ts: no workflow exported, passed over/);
    const index = await fetch(`${url}/api`);
    expect(index.status).toBe(200);
    const body = (await index.json()) as { links: Record<string, string>; workflows: { name: string }[] };
    expect(body.links.openapi).toBe("/api/openapi.json");
    expect(body.workflows.map((w) => w.name).sort()).toEqual(["expense-approval", "order-pipeline", "release-train"]);
    expect((await fetch(`${url}/api/openapi.json`)).status).toBe(200);
  });

  it("tail --url follows a run started through the API to its end, gap-free, and exits 0", async () => {
    const runId = await start("release-train", { delayMs: 100 });
    const tail = await runCli(["tail", runId, "--url", url, "--json"]);
    // release-train fails at deploy: the tail exits 2.
    expect(tail.code, tail.stderr).toBe(2);
    const events = ndjson(tail.stdout);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: "run.failed", accountId: "team" });
    expect(events).toEqual((await storedEvents(db, runId, "team")).map((s) => s.event));

    const ok = await start("order-pipeline");
    const plain = await runCli(["tail", ok, "--url", url, "--progress", "plain", "--after", "3"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toMatch(ESCAPE);
    expect(plain.stdout.split("\n")[0]).toMatch(/^#4 /);
    expect(plain.stdout).toMatch(/#\d+ run\.completed in .*shipped on attempt 2/);
  });

  it("tail --all --url follows the account's new runs with type globs until Ctrl-C", async () => {
    const all = startCli(["tail", "--all", "--url", url, "--types", "run.*"]);
    // Wait for the stream to be open (history is replayed first), then start a run.
    await all.waitFor(/run\.(completed|failed)/, 60_000);
    const runId = await start("expense-approval", { employee: "bo", items: [{ what: "lunch", amount: 20 }] });
    await all.waitFor(new RegExp(`${runId} #\\d+ run\\.completed`), 60_000);
    all.child.kill("SIGINT");
    const result = await all.done;
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n").every((line) => / #\d+ run\./.test(line))).toBe(true);
  });

  it("a server that refuses says the URL and the status; a run the account lacks is 404", async () => {
    const missing = await runCli(["tail", "no-such-run", "--url", url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`${url}/api/runs/no-such-run/stream answered 404: no run "no-such-run"\n`);
    const badUrl = await runCli(["tail", "--all", "--url", "not a url"]);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain("--url not a url: not a URL");
  });

  it("with a token file, tail needs the token: 401 names the URL, the right token follows", async () => {
    const tokens = join(dir, "tokens.json");
    const lines: string[] = [];
    await tokenCommand((line) => lines.push(line)).parseAsync(["create", "--account", "acme", "--file", tokens], { from: "user" });
    const secured = startCli(["serve", "--db", db, "--port", "0", "--tokens", tokens]);
    try {
      const [, base] = await secured.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api/, 60_000);
      const refused = await runCli(["tail", "--all", "--url", base!, "--token", "wrong"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(`${base}/api/stream answered 401: invalid API token\n`);
      const none = await runCli(["tail", "--all", "--url", base!]);
      expect(none.stderr).toContain("answered 401");
    } finally {
      secured.child.kill("SIGTERM");
      await secured.done;
    }
  });
});
