/**
 * `runtrail demo` (the README's first command): its runs emit every event family between them,
 * are stored under the default account, and are served on loopback at the printed URL, where the
 * API shows them in open mode and can start the demo workflows again. `--no-serve` exits.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_EVENT_TYPES } from "../../src/events/index.js";
import { ESCAPE, runCli, scratch, startCli, storedEvents, storedRuns } from "./cli-helpers.js";

const dir = scratch("demo");

/** The family of a type: `step.retrying` → `step`, `x.summary` → `x`. */
const family = (type: string): string => type.split(".")[0]!;

describe("runtrail demo", { timeout: 180_000 }, () => {
  it("--no-serve: runs the demo workflows, every event family in the store under account default, then exits 0", async () => {
    const db = join(dir, "runtrail.db");
    const result = await runCli(["demo", "--no-serve", "--progress", "plain", "--db", db]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(ESCAPE);
    expect(result.stdout).toMatch(/Stored in .*runtrail\.db, account default:\n {2}order-pipeline +completed +\S+\n {2}inventory-sync +failed +\S+\n/);
    const runs = await storedRuns(db);
    expect(runs.map((r) => [r.workflow, r.status]).sort()).toEqual([
      ["customer-tier", "completed"],
      ["inventory-sync", "failed"],
      ["order-pipeline", "completed"],
    ]);
    const parent = runs.find((r) => r.workflow === "order-pipeline")!;
    expect(runs.find((r) => r.workflow === "customer-tier")?.parentRunId).toBe(parent.runId);
    const types = new Set<string>();
    for (const run of runs) for (const { event } of await storedEvents(db, run.runId)) types.add(event.type);
    const families = new Set(BUILTIN_EVENT_TYPES.map(family));
    expect([...new Set([...types].map(family))].sort()).toEqual([...families, "x"].sort());
    // The decisions the demo exists to show.
    for (const type of ["step.retrying", "step.skipped", "step.failed", "tool.failed", "llm.responded", "condition.evaluated", "loop.iteration", "variable.changed", "wave.started", "run.failed"]) expect(types).toContain(type);
  });

  it("serves what it stored on loopback: the printed URLs answer, the runs are the default account's, the workflows start", async () => {
    const db = join(dir, "served.db");
    const demo = startCli(["demo", "--port", "0", "--progress", "quiet", "--db", db]);
    try {
      const [, url] = await demo.waitFor(/Open (http:\/\/127\.0\.0\.1:\d+)\/ \(the API index: http:\/\/127\.0\.0\.1:\d+\/api\)/, 120_000);
      expect(demo.output.stdout).toContain(`[runtrail] serving ${url}/api (OpenAPI: ${url}/api/openapi.json)\n`);
      expect((await fetch(`${url}/api`)).status).toBe(200);
      const listed = (await (await fetch(`${url}/api/runs`)).json()) as { runs: { workflow: { name: string }; accountId: string }[] };
      expect(listed.runs.map((r) => r.workflow.name).sort()).toEqual(["customer-tier", "inventory-sync", "order-pipeline"]);
      expect(new Set(listed.runs.map((r) => r.accountId))).toEqual(new Set(["default"]));
      const started = await fetch(`${url}/api/workflows/order-pipeline/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: { orders: [{ id: "B-1", amount: 10 }] } }) });
      expect(started.status).toBe(202);
      const { runId } = (await started.json()) as { runId: string };
      const stream = await (await fetch(`${url}/api/runs/${runId}/stream?after=0`)).text();
      expect(stream).toMatch(/event: end/);
      expect(stream).toContain('"type":"run.completed"');
    } finally {
      demo.child.kill("SIGINT");
    }
    expect((await demo.done).code).toBe(0);
  });
});
