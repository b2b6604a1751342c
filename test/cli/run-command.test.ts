/**
 * `runtrail run` as a subprocess: exit codes (completed 0, failed run 2, bad spec / unknown file /
 * bad flag / bad input / unopenable store 1), `--json` checked gap-free against the store, plain
 * output free of escape codes, and errors that say what and where.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ESCAPE, ndjson, ROOT, runCli, scratch, startCli, storedEvents, storedRuns } from "./cli-helpers.js";
import { PG_URL } from "../store/store-fixtures.js";

const dir = scratch("run");
const db = join(dir, "runtrail.db");

describe("runtrail run", { timeout: 120_000 }, () => {
  it("runs a YAML spec with its handlers beside it: exit 0, plain lines with no escape code, the run stored", async () => {
    const result = await runCli(["run", "examples/order-spec.yaml", "--db", db, "--progress", "plain"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(ESCAPE);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^#1 run\.started order-pipeline@1 \(3 steps\)$/);
    expect(lines.filter((line) => line.includes("step.retrying"))).toEqual([expect.stringMatching(/^#\d+ step\.retrying ship: carrier busy; attempt 2 in 0ms, decided by retry:ship$/)]);
    expect(lines.at(-1)).toMatch(/^● run order-pipeline completed in \d+(ms|\.\d+s) \(3 completed, 0 skipped, 0 failed\); output \{"total":50,"shipped":"shipped on attempt 2"\}$/);
    expect(result.stderr).toBe("");
    const [run] = await storedRuns(db);
    const stored = await storedEvents(db, run!.runId);
    // One plain line per stored event, in seq order, then the summary.
    expect(lines.length).toBe(stored.length + 1);
    expect(lines.slice(0, -1).map((line) => Number(/^#(\d+) /.exec(line)?.[1]))).toEqual(stored.map((s) => s.event.seq));
  });

  it("--json prints each stored event once, in seq order with no gap, exactly as stored", async () => {
    const result = await runCli(["run", "examples/approval-flow.ts", "--input", "@examples/expense.json", "--db", db, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const events = ndjson(result.stdout);
    const runId = events[0]!.runId as string;
    expect(events.every((e) => e.runId === runId)).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const stored = await storedEvents(db, runId);
    expect(events).toEqual(stored.map((s) => s.event));
    expect(events.at(-1)).toMatchObject({ type: "run.completed", output: "ada: sent to manager" });
  });

  it("a failed run exits 2 and says which step failed and why (stderr in --json mode, stdout stays NDJSON)", async () => {
    const plain = await runCli(["run", "examples/release-train.yaml", "--db", db, "--progress", "plain"]);
    expect(plain.code).toBe(2);
    expect(plain.stdout).not.toMatch(ESCAPE);
    expect(plain.stdout.trim().split("\n").at(-1)).toMatch(/^● run release-train failed at step deploy after \d+(ms|\.\d+s): Error: cluster prod-eu refused the rollout: quota exceeded$/);
    const json = await runCli(["run", "examples/release-train.yaml", "--db", db, "--json"]);
    expect(json.code).toBe(2);
    expect(ndjson(json.stdout).at(-1)).toMatchObject({ type: "run.failed" });
    expect(json.stderr).toMatch(/^● run release-train failed at step deploy after .*quota exceeded\n$/);
    const quiet = await runCli(["run", "examples/release-train.yaml", "--db", db, "--progress", "quiet"]);
    expect(quiet.code).toBe(2);
    expect(quiet.stdout).toBe("");
    expect(quiet.stderr).toContain("failed at step deploy");
  });

  it("a spec error exits 1 with the engine's message: the file, the path in the document and the line", async () => {
    const spec = join(ROOT, "test/engine/fixtures/broken.yaml");
    const result = await runCli(["run", spec, "--db", db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${spec} (workflow "broken") is invalid:`);
    expect(result.stderr).toMatch(/\/steps\/0\/run \(line 4\): step "a": handler "first" is not registered/);
    expect(result.stderr).toMatch(/\(line 9\)/);
    expect(result.stdout).toBe("");
  });

  it("an unknown file, a bad flag, bad input and a store that cannot be opened each exit 1 with what and where", async () => {
    const missing = await runCli(["run", "nowhere.yaml", "--db", db]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`no such workflow file: ${join(ROOT, "nowhere.yaml")}\n`);

    const mode = await runCli(["run", "examples/order-spec.yaml", "--progress", "fancy"]);
    expect(mode.code).toBe(1);
    expect(mode.stderr).toContain("option '--progress <mode>' argument 'fancy' is invalid. must be one of auto, tty, plain, json, quiet.");

    const unknown = await runCli(["run", "examples/order-spec.yaml", "--colour"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown option '--colour'");

    const input = await runCli(["run", "examples/approval-flow.ts", "--input", "{oops", "--db", db]);
    expect(input.code).toBe(1);
    expect(input.stderr).toMatch(/^--input: not valid JSON \(.+\)\n$/);

    const noFolder = await runCli(["run", "examples/order-spec.yaml", "--db", join(dir, "absent", "x.db")]);
    expect(noFolder.code).toBe(1);
    expect(noFolder.stderr).toBe(`cannot open the SQLite store at ${join(dir, "absent", "x.db")} (--db): the folder ${join(dir, "absent")} does not exist\n`);
    const notDb = await runCli(["run", "examples/order-spec.yaml", "--db", join(ROOT, "README.md")]);
    expect(notDb.code).toBe(1);
    expect(notDb.stderr).toBe(`cannot open the SQLite store at ${join(ROOT, "README.md")} (--db): the file is not a SQLite database (file is not a database)\n`);
    // A folder where the file should be (SQLite's own words: "unable to open database file").
    const folder = await runCli(["runs", "--db", dir]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe(`cannot open the SQLite store at ${dir} (--db): it is a folder, not a database file (pass a file path such as ${join(dir, "runtrail.db")})\n`);

    const notSpec = await runCli(["run", "README.md", "--db", db]);
    expect(notSpec.code).toBe(1);
    expect(notSpec.stderr).toContain(`${join(ROOT, "README.md")}: not a workflow file`);
  });

  it("npx runtrail (bin/runtrail.js) runs a .ts workflow outside an ESM package, as node --import tsx does", async () => {
    // In the OS temp folder: no package.json with "type": "module" above the file, so Node loads it as CommonJS.
    const file = join(mkdtempSync(join(tmpdir(), "runtrail-cjs-")), "no-type-module.ts");
    writeFileSync(file, `import { workflow } from ${JSON.stringify(join(ROOT, "src/engine/index.ts"))};\nexport default workflow("w").step("a", () => 41 + 1).build();\n`);
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, "bin/runtrail.js"), "run", file, "--db", db, "--progress", "plain"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.once("close", (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("a PostgreSQL URL that is wrong or unreachable is named, its password hidden", async () => {
    const refused = await runCli(["run", "examples/order-spec.yaml", "--postgres", "postgres://ops:hunter2@127.0.0.1:1/test"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "cannot open the PostgreSQL store at postgres://ops:***@127.0.0.1:1/test (--postgres): nothing accepts connections at 127.0.0.1:1: is PostgreSQL running, and on this port? (connect ECONNREFUSED 127.0.0.1:1)\n",
    );
    const malformed = await runCli(["runs", "--postgres", "localhost"]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toBe("--postgres localhost: not a connection URL (expected postgres://user@host:5432/database)\n");
    const scheme = await runCli(["runs", "--postgres", "http://127.0.0.1:5432/test"]);
    expect(scheme.stderr).toBe("--postgres http://127.0.0.1:5432/test: the URL must start with postgres:// or postgresql://, not http://\n");
    // Today's words were "getaddrinfo ENOTFOUND base": now what is wrong, then the driver's words.
    const host = await runCli(["runs", "--postgres", "postgres://base/test"]);
    expect(host.code).toBe(1);
    expect(host.stderr).toBe('cannot open the PostgreSQL store at postgres://base/test (--postgres): the host "base" is not known (DNS lookup failed): check the host part of the URL (getaddrinfo ENOTFOUND base)\n');
  });

  it("a PostgreSQL server that answers but refuses says which database or user is wrong", async () => {
    const noDb = await runCli(["runs", "--postgres", `${PG_URL.replace(/\/[^/]*$/, "")}/runtrail_no_such_db`]);
    expect(noDb.code).toBe(1);
    expect(noDb.stderr).toContain('the database "runtrail_no_such_db" does not exist on 127.0.0.1:5432: create it (createdb runtrail_no_such_db) or fix the URL\'s path');
    const noUser = await runCli(["runs", "--postgres", PG_URL.replace(/\/\/[^@]*@/, "//runtrail_no_such_user@")]);
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toContain('127.0.0.1:5432 refused user "runtrail_no_such_user": check the user and password in the URL');
  });

  it("Ctrl-C cancels the run: its trail ends with run.cancelled, stored, and the exit code is 2", async () => {
    const cli = startCli(["run", "examples/release-train.yaml", "--input", '{"delayMs": 3000}', "--db", db, "--progress", "plain"]);
    await cli.waitFor(/#\d+ step\.started build\n/);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/#\d+ run\.cancelled: interrupted \(Ctrl-C\)\n● run release-train cancelled after .*: interrupted \(Ctrl-C\)\n$/);
    const [newest] = await storedRuns(db);
    expect(newest?.status).toBe("cancelled");
  });

  it("--account stores the run under that account only", async () => {
    const other = join(dir, "accounts.db");
    const result = await runCli(["run", "examples/order-spec.yaml", "--db", other, "--account", "acme", "--progress", "quiet"]);
    expect(result.code, result.stderr).toBe(0);
    expect(await storedRuns(other, "acme")).toHaveLength(1);
    expect(await storedRuns(other, "default")).toHaveLength(0);
  });
});
