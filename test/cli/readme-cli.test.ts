/**
 * Runs the README's CLI section: every `$ runtrail …` line of its ```console blocks, in order, in
 * one fresh store, and checks the output (stdout, then stderr) against the lines below it. `…`
 * stands for any text within a line, or alone on a line for any number of lines; `$RUN` is the
 * newest run's id; `(exit N)` gives an exit code other than 0.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, scratch, storedRuns } from "./cli-helpers.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const section = readme.slice(readme.indexOf("### The `runtrail` command"), readme.indexOf("## Guarantees and where they are tested"));
const blocks = [...section.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1]!);

interface Step {
  readonly command: string;
  readonly expected: string[];
  readonly code: number;
}

function steps(block: string): Step[] {
  const out: { command: string; expected: string[]; code: number }[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("$ ")) out.push({ command: line.slice(2), expected: [], code: 0 });
    else if (/^\(exit \d+\)$/.test(line)) out.at(-1)!.code = Number(/\d+/.exec(line)![0]);
    else if (line !== "") out.at(-1)!.expected.push(line);
  }
  return out;
}

/** Whether `lines` match `patterns` whole, `…` being a wildcard (in a line, or a line of its own). */
function matches(patterns: readonly string[], lines: readonly string[]): boolean {
  const toRegex = (pattern: string): RegExp => new RegExp(`^${pattern.split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  const regexes = patterns.map((p) => (p === "…" ? undefined : toRegex(p)));
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i}:${j}`;
    if (memo.has(key)) return memo.get(key)!;
    let result: boolean;
    if (i === regexes.length) result = j === lines.length;
    else if (regexes[i] === undefined) result = go(i + 1, j) || (j < lines.length && go(i, j + 1));
    else result = j < lines.length && regexes[i]!.test(lines[j]!) && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

const dir = scratch("readme");
const db = join(dir, "runtrail.db");

describe("README: the runtrail command", { timeout: 180_000 }, () => {
  it("has console blocks", () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  blocks.forEach((block, index) => {
    it(`console block ${index + 1} runs as shown`, async () => {
      for (const step of steps(block)) {
        expect(step.command.startsWith("runtrail ")).toBe(true);
        const runs = await storedRuns(db).catch(() => []);
        const args = step.command
          .slice("runtrail ".length)
          .split(" ")
          .map((arg) => (arg === "$RUN" ? (runs[0]?.runId ?? "") : arg));
        const env: NodeJS.ProcessEnv = { ...process.env, RUNTRAIL_DB: db, NO_COLOR: "1" };
        delete env.CI;
        const result = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, env, encoding: "utf8" });
        const lines = [...result.stdout.split("\n"), ...result.stderr.split("\n")].filter((line) => line !== "");
        expect({ command: step.command, code: result.status }).toEqual({ command: step.command, code: step.code });
        if (!matches(step.expected, lines)) expect(lines.join("\n")).toBe(step.expected.join("\n"));
      }
    });
  });
});
