/**
 * The `runtrail` command where users start it: `npx runtrail` in this checkout (npm links the
 * package's own bin, `bin/runtrail.js`, which runs the TypeScript source through tsx since there
 * is no dist/), and the bin straight with node. The built package's bin (dist/, no src/) is run
 * by `scripts/check-node.sh` after `npm run build`.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, scratch, storedRuns, type CliResult } from "./cli-helpers.js";

const dir = scratch("bin");
const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** Runs a command to its end in `cwd`. */
function run(command: string, args: readonly string[], cwd = ROOT, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe("the runtrail bin", { timeout: 120_000 }, () => {
  it("npx runtrail --help and --version work in the checkout, offline, from a fresh npm cache", async () => {
    // A cache of its own: an earlier npx run's links must not be what makes this pass.
    const env = { npm_config_cache: join(dir, "npm-cache"), npm_config_offline: "true", npm_config_update_notifier: "false" };
    const help = await run("npx", ["runtrail", "--help"], ROOT, env);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: runtrail \[options\] \[command\]/);
    for (const command of ["run", "tail", "runs", "events", "stats", "replay", "serve", "token", "demo"]) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    const shown = await run("npx", ["runtrail", "--version"], ROOT, env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toBe(`${version}\n`);
  });

  it("npx runtrail runs a workflow from another folder of the checkout, its .ts handlers included", async () => {
    const db = join(dir, "npx.db");
    const env = { npm_config_cache: join(dir, "npm-cache"), npm_config_offline: "true", npm_config_update_notifier: "false" };
    const result = await run("npx", ["runtrail", "run", join(ROOT, "examples/order-spec.yaml"), "--db", db, "--progress", "plain"], join(ROOT, "examples"), env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n").at(-1)).toMatch(/^● run order-pipeline completed in /);
    expect((await storedRuns(db)).map((r) => r.status)).toEqual(["completed"]);
  });

  it("exits 1 saying what to do when neither the source nor dist/ is beside it", async () => {
    const lonely = join(dir, "lonely", "bin");
    mkdirSync(lonely, { recursive: true });
    copyFileSync(join(ROOT, "bin/runtrail.js"), join(lonely, "runtrail.js"));
    const result = await run(process.execPath, [join(lonely, "runtrail.js"), "--help"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`runtrail: neither ${join(dir, "lonely", "dist/cli/main.js")} nor tsx to run ${join(dir, "lonely", "src/cli/main.ts")} is there`);
    expect(result.stderr).toContain("run `npm install` (tsx is a dev dependency) or `npm run build`");
  });
});
