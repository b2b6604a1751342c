/**
 * The CLI as a user runs it: `node --import tsx src/cli/main.ts …` in a child process, with its
 * exit code, stdout and stderr; plus a scratch folder per test file and store readers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import type { RuntrailEvent } from "../../src/events/index.js";
import type { StoredEvent } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = join(ROOT, "src/cli/main.ts");

export const ESCAPE = /\u001b/;

/** A finished CLI process. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running CLI process. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly done: Promise<CliResult>;
  /** Resolves with the first match in stdout; rejects if the process exits first or on timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

const children = new Set<ChildProcess>();

/** A scratch folder removed after the file's tests (and every child still running killed). */
export function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `runtrail-${prefix}-`));
  afterAll(() => {
    for (const child of children) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/**
 * Starts the CLI. `CI` is unset and `NO_COLOR` set unless `env` says otherwise, so output does
 * not depend on where the tests run.
 */
export function startCli(args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {}): CliProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...options.env };
  delete env.CI;
  if (options.env?.CI !== undefined) env.CI = options.env.CI;
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const output = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output.stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output.stderr += chunk));
  const done = new Promise<CliResult>((resolve) =>
    child.once("close", (code, signal) => {
      children.delete(child);
      resolve({ code, signal, ...output });
    }),
  );
  return {
    child,
    output,
    done,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timeout waiting for ${String(pattern)}; stdout: ${output.stdout}; stderr: ${output.stderr}`)), timeoutMs);
        const check = (): void => {
          const match = pattern.exec(output.stdout);
          if (match !== null) finish(undefined, match);
        };
        const onExit = (): void => finish(new Error(`exited before ${String(pattern)}; stdout: ${output.stdout}; stderr: ${output.stderr}`));
        function finish(error: Error | undefined, match?: RegExpMatchArray): void {
          clearTimeout(timer);
          child.stdout?.off("data", check);
          child.off("close", onExit);
          if (error === undefined && match !== undefined) resolve(match);
          else reject(error ?? new Error("no match"));
        }
        child.stdout?.on("data", check);
        child.once("close", onExit);
        check();
      });
    },
  };
}

/** Runs the CLI to the end. */
export function runCli(args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** A stored run's events, as the store holds them. */
export async function storedEvents(db: string, runId: string, account = "default"): Promise<StoredEvent[]> {
  const store = await openSqliteStore({ path: db });
  try {
    return [...(await store.readRun(account, runId, { after: 0, limit: 100_000 })).items];
  } finally {
    await store.close();
  }
}

/** The run ids of an account, newest first. */
export async function storedRuns(db: string, account = "default"): Promise<{ runId: string; status: string; workflow: string; parentRunId?: string }[]> {
  const store = await openSqliteStore({ path: db });
  try {
    return (await store.listRuns(account, { limit: 1_000 })).items.map((r) => ({ runId: r.runId, status: r.status, workflow: r.workflow.name, ...(r.parentRunId === undefined ? {} : { parentRunId: r.parentRunId }) }));
  } finally {
    await store.close();
  }
}

/** NDJSON lines as objects. */
export function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * A scratch folder for workflows a test writes as TypeScript modules: `flows/` for
 * `serve --workflows`, a package.json with "type": "module", the store `db`, and `calls`, a file
 * the workflows append a line to per step call (`callLines()` reads it), to count what ran.
 */
export function workflowScratch(prefix: string): { readonly dir: string; readonly flows: string; readonly db: string; readonly calls: string; callLines(): string[] } {
  const dir = scratch(prefix);
  const flows = join(dir, "flows");
  mkdirSync(flows);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  const calls = join(dir, "calls.txt");
  return { dir, flows, db: join(dir, "runtrail.db"), calls, callLines: () => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : []) };
}

/**
 * Runs a TypeScript script in a child process (`node --import tsx`); killed after `timeoutMs`,
 * so a script held open by a timer or a handle fails its test instead of hanging it.
 */
export function runScript(file: string, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const guard = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("close", (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A stored run's events once its last is `type` (default `run.completed`), polled every 50 ms for up to 10 s; whatever is stored then. */
export async function storedUntil(db: string, runId: string, type = "run.completed"): Promise<RuntrailEvent[]> {
  let events = (await storedEvents(db, runId)).map((s) => s.event);
  for (let i = 0; i < 200 && events.at(-1)?.type !== type; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    events = (await storedEvents(db, runId)).map((s) => s.event);
  }
  return events;
}
