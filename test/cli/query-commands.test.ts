/**
 * `runs`, `events`, `stats`, `replay` and `tail` (from a store) as subprocesses over runs written
 * in this process: what they print matches the store, `--json` is gap-free and as stored, plain
 * output has no escape code, and a missing run or store is an error that names it.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createBus, createControl } from "../../src/index.js";
import { createStoreWriter } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { loadWorkflowFile } from "../../src/cli/workflow-file.js";
import { ESCAPE, ndjson, runCli, scratch, startCli, storedEvents } from "./cli-helpers.js";

const dir = scratch("query");
const db = join(dir, "runtrail.db");
let completed: string;
let failed: string;

/** Runs a workflow file into the store under `account`; returns its run id. */
async function runInto(path: string, file: string, account = "default", input?: unknown): Promise<string> {
  const { workflows } = await loadWorkflowFile(file);
  const store = await openSqliteStore({ path });
  const bus = createBus();
  const writer = createStoreWriter(bus, store);
  const handle = workflows[0]!.start(input, { bus, control: createControl(), accountId: account });
  await handle.result.catch(() => undefined);
  await writer.close();
  await store.close();
  return handle.runId;
}

beforeAll(async () => {
  completed = await runInto(db, "examples/order-spec.yaml");
  failed = await runInto(db, "examples/release-train.yaml");
  await runInto(db, "examples/order-spec.yaml", "acme");
});

describe("query commands", { timeout: 120_000 }, () => {
  it("runs: a table of the account's runs, newest first, filtered by status and workflow; --json as stored", async () => {
    const table = await runCli(["runs", "--db", db]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).not.toMatch(ESCAPE);
    const rows = table.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^run\s+workflow\s+status\s+started \(UTC\)\s+took\s+events$/);
    expect(rows.slice(1).map((row) => row.split(/\s+/)[0])).toEqual([failed, completed]);
    expect(rows[1]).toMatch(/release-train@2\s+failed/);

    const onlyFailed = await runCli(["runs", "--db", db, "--status", "failed", "--json"]);
    expect(ndjson(onlyFailed.stdout).map((r) => [r.runId, r.status])).toEqual([[failed, "failed"]]);
    const byWorkflow = await runCli(["runs", "--db", db, "--workflow", "order-pipeline", "--json"]);
    expect(ndjson(byWorkflow.stdout).map((r) => r.runId)).toEqual([completed]);
    const acme = await runCli(["runs", "--db", db, "--account", "acme", "--json"]);
    expect(ndjson(acme.stdout)).toHaveLength(1);
    expect(ndjson(acme.stdout)[0]!.runId).not.toBe(completed);

    const bad = await runCli(["runs", "--db", db, "--status", "done"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"done" is not a run status');
    const noStore = await runCli(["runs", "--db", join(dir, "absent.db")]);
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toContain(`no store at ${join(dir, "absent.db")} (--db)`);
  });

  it("events: every stored event once, --after and --types (globs), --json exactly as stored", async () => {
    const stored = (await storedEvents(db, failed)).map((s) => s.event);
    const json = await runCli(["events", failed, "--db", db, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(ndjson(json.stdout)).toEqual(stored);

    const after = await runCli(["events", failed, "--db", db, "--after", "30", "--json"]);
    expect(ndjson(after.stdout).map((e) => e.seq)).toEqual(stored.filter((e) => e.seq > 30).map((e) => e.seq));

    const steps = await runCli(["events", failed, "--db", db, "--types", "step.retrying,run.*"]);
    expect(steps.stdout).not.toMatch(ESCAPE);
    expect(steps.stdout.trim().split("\n").map((line) => line.split(" ")[1])).toEqual(stored.filter((e) => e.type === "step.retrying" || e.type.startsWith("run.")).map((e) => e.type));

    // A pattern that selects no type is refused, naming it, as the server's ?types= is.
    const typo = await runCli(["events", failed, "--db", db, "--types", "step.*,steps.*"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain(`argument 'step.*,steps.*' is invalid. "steps.*" matches no event type`);

    const missing = await runCli(["events", "no-such-run", "--db", db]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`no run no-such-run in account default (--db ${db})\n`);
    const otherAccount = await runCli(["events", failed, "--db", db, "--account", "acme"]);
    expect(otherAccount.code).toBe(1);
  });

  it("stats: per step completions, failures, average and p95", async () => {
    const json = await runCli(["stats", "release-train", "--db", db, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const rows = ndjson(json.stdout);
    expect(rows.find((r) => r.stepId === "test")).toMatchObject({ count: 1, failures: 2 });
    expect(rows.find((r) => r.stepId === "deploy")).toMatchObject({ count: 0, failures: 1, runsFailed: 1, avgMs: null });
    const table = await runCli(["stats", "release-train", "--db", db]);
    expect(table.stdout.split("\n")[0]).toMatch(/^step\s+completed\s+failures\s+avg\s+p95$/);
    expect(table.stdout).toMatch(/\ndeploy\s+0\s+1\s+-\s+-\n/);
    const none = await runCli(["stats", "nothing", "--db", db]);
    expect(none.stdout).toBe('no steps of workflow "nothing" in account default\n');
  });

  it("replay: --at SEQ gives the state at that event; a replay re-shows every event in order", async () => {
    const at = await runCli(["replay", failed, "--db", db, "--at", "14", "--json"]);
    expect(at.code, at.stderr).toBe(0);
    const state = JSON.parse(at.stdout) as { lastSeq: number; status: string; steps: Record<string, { status: string }> };
    expect(state.lastSeq).toBe(14);
    expect(state.status).toBe("running");
    expect(state.steps.test?.status).toBe("failed");
    const text = await runCli(["replay", failed, "--db", db, "--at", "14"]);
    expect(text.stdout).toMatch(/^run \S+ \(release-train\) after seq 14: running\n/);
    expect(text.stdout).toContain("  test: failed: 3 of 120 tests timed out\n");

    const again = await runCli(["replay", failed, "--db", db, "--speed", "1000", "--progress", "plain"]);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(ESCAPE);
    const stored = await storedEvents(db, failed);
    expect(again.stdout.trim().split("\n").map((line) => Number(/^#(\d+)/.exec(line)?.[1]))).toEqual(stored.map((s) => s.event.seq));
    const bad = await runCli(["replay", failed, "--db", db, "--speed", "0"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--speed must be a positive number");
  });

  it("tail from a store: a finished run to its end (exit 0 / 2 by its outcome); --all follows new runs until Ctrl-C", async () => {
    const done = await runCli(["tail", completed, "--db", db, "--json"]);
    expect(done.code, done.stderr).toBe(0);
    expect(ndjson(done.stdout)).toEqual((await storedEvents(db, completed)).map((s) => s.event));
    const bad = await runCli(["tail", failed, "--db", db, "--progress", "quiet"]);
    expect(bad.code).toBe(2);
    const neither = await runCli(["tail", "--db", db]);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toBe("tail needs a run id or --all (not both)\n");

    const all = startCli(["tail", "--all", "--db", db, "--types", "run.*", "--poll", "20"]);
    await all.waitFor(new RegExp(`${failed} #\\d+ run\\.failed`));
    const later = await runInto(db, "examples/order-spec.yaml");
    await all.waitFor(new RegExp(`${later} #\\d+ run\\.completed`));
    all.child.kill("SIGINT");
    const result = await all.done;
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(ESCAPE);
    const lines = result.stdout.trim().split("\n");
    expect(lines.every((line) => / #\d+ run\./.test(line))).toBe(true);
    // The other account's run is not in the default account's tail.
    expect(lines.filter((line) => line.includes("run.started"))).toHaveLength(3);
  });
});
