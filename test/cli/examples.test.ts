/**
 * Every example in examples/ runs through the CLI (`runtrail run`), YAML and TypeScript alike,
 * with the outcome it is meant to have. A new example file must be added here: the test fails on
 * a file it does not know.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ESCAPE, ndjson, ROOT, runCli, scratch, storedEvents } from "./cli-helpers.js";

const dir = scratch("examples");
const db = join(dir, "runtrail.db");

/** Each workflow example, with its input and what its run ends in. */
const WORKFLOWS: Record<string, { readonly args?: readonly string[]; readonly code: number; readonly last: Record<string, unknown> }> = {
  "approval-flow.ts": { args: ["--input", "@examples/expense.json"], code: 0, last: { type: "run.completed", output: "ada: sent to manager" } },
  "order-spec.yaml": { code: 0, last: { type: "run.completed", output: { total: 50, shipped: "shipped on attempt 2" } } },
  "release-train.yaml": { code: 2, last: { type: "run.failed" } },
};
/** Files that are not workflows: a runner script, handler modules, an input. */
const HELPERS = ["expense.json", "order-spec.handlers.ts", "order-spec.ts", "release-steps.ts"];

describe("examples through the CLI", { timeout: 120_000 }, () => {
  it("knows every file in examples/", () => {
    expect(readdirSync(join(ROOT, "examples")).sort()).toEqual([...Object.keys(WORKFLOWS), ...HELPERS].sort());
  });

  for (const [file, expected] of Object.entries(WORKFLOWS)) {
    it(`runtrail run examples/${file}`, async () => {
      const json = await runCli(["run", `examples/${file}`, ...(expected.args ?? []), "--db", db, "--json"]);
      expect(json.code, json.stderr).toBe(expected.code);
      const events = ndjson(json.stdout);
      expect(events.at(-1)).toMatchObject(expected.last);
      expect(events).toEqual((await storedEvents(db, events[0]!.runId as string)).map((s) => s.event));
      const plain = await runCli(["run", `examples/${file}`, ...(expected.args ?? []), "--db", db, "--progress", "plain"]);
      expect(plain.code).toBe(expected.code);
      expect(plain.stdout).not.toMatch(ESCAPE);
    });
  }
});
