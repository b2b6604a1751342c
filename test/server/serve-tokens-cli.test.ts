/**
 * `runtrail serve --tokens FILE` as a user runs it (the real CLI in a child process): a token
 * file that does not parse keeps it from starting (exit 1, the file and the line and column); the
 * file appearing while it serves in open mode ends open mode, said in its log; a file broken
 * while it serves stops it (exit 1, the same message), never a server answering errors to all.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cliCreateToken, waitUntil } from "./auth-streams.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "runtrail-serve-tokens-"));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

interface Serve {
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
  readonly child: ChildProcess;
}

function serve(tokens: string, db: string): Serve {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "serve", "--db", db, "--port", "0", "--tokens", tokens], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const run: Serve = { stdout: "", stderr: "", child, exit: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (run.stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (run.stderr += chunk));
  return run;
}

const SERVING = /serving (http:\/\/127\.0\.0\.1:\d+)\/api/;

describe("runtrail serve --tokens", { timeout: 60_000 }, () => {
  it("refuses to start on a token file that does not parse: exit 1, the file, line and column", async () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, '{"version": 1,\n "tokens": [}\n');
    const run = serve(file, join(dir, "broken.db"));
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`token file ${file}:2:13: is not valid JSON: expected a value`);
    expect(run.stdout).not.toMatch(SERVING);
  });

  it("leaves open mode when the file appears, and stops (exit 1) when it is broken while serving", async () => {
    const file = join(dir, "later.json");
    const run = serve(file, join(dir, "later.db"));
    await waitUntil(`the server to listen (stdout: ${run.stdout}, stderr: ${run.stderr})`, () => SERVING.test(run.stdout), 30_000);
    const url = SERVING.exec(run.stdout)![1]!;
    expect(run.stdout).toContain(`[runtrail] following the token file ${file}: open mode ends when it appears\n`);
    expect((await fetch(`${url}/api/runs`)).status).toBe(200);

    const { token } = await cliCreateToken(file, "acme");
    await waitUntil("the notice", () => run.stdout.includes("appeared"));
    expect(run.stdout).toContain(`[runtrail] token file ${file} appeared: leaving open mode; every request now needs an API token\n`);
    expect((await fetch(`${url}/api/runs`)).status).toBe(401);
    expect((await fetch(`${url}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    writeFileSync(file, '{"version": 1, "tokens": [\n  {"id": "x", "accountId": "acme",, }\n]}\n');
    expect(await run.exit).toBe(1);
    expect(run.stderr).toContain(`[runtrail] stopping: token file ${file}:2:35: is not valid JSON: expected a property name in double quotes\n`);
  });
});
