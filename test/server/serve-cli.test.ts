/**
 * `runtrail serve` as a user runs it: the real CLI in a child process over a SQLite file that
 * this process writes, on a free port. Open mode says it listens on loopback and refuses any other
 * bind; SIGTERM closes the server and the store (exit 0, the database intact and checkpointed).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { createBus } from "runtrail";
import { afterAll, describe, expect, it } from "vitest";
import { tokenCommand } from "../../src/cli/token-command.js";
import { createStoreWriter } from "../../src/store/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { readSse, runEvents } from "./server-fixtures.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "runtrail-serve-"));
const children = new Set<ChildProcess>();
afterAll(() => {
  // A failed test must not leave a server running.
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI in a child process, with its output so far. */
interface Cli {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (null if killed by a signal) and signal; rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first match in stdout; rejects if the process exits first or on timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

function runCli(...args: string[]): Cli {
  return runEntry(CLI, args);
}

function runEntry(entry: string, args: readonly string[]): Cli {
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const cli: Cli = {
    child,
    stdout: "",
    stderr: "",
    exited(timeoutMs = 10_000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms; stderr: ${cli.stderr}`)), timeoutMs)));
      return Promise.race([exit, late]).finally(() => clearTimeout(timer));
    },
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timeout waiting for ${String(pattern)}; stdout: ${cli.stdout}; stderr: ${cli.stderr}`)), timeoutMs);
        const check = (): void => {
          const match = pattern.exec(cli.stdout);
          if (match !== null) finish(undefined, match);
        };
        const onExit = (): void => finish(new Error(`exited before ${String(pattern)}; stdout: ${cli.stdout}; stderr: ${cli.stderr}`));
        function finish(error: Error | undefined, match?: RegExpMatchArray): void {
          clearTimeout(timer);
          child.stdout?.off("data", check);
          child.off("exit", onExit);
          if (error === undefined && match !== undefined) resolve(match);
          else reject(error ?? new Error("no match"));
        }
        child.stdout?.on("data", check);
        child.once("exit", onExit);
        check();
      });
    },
  };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (cli.stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (cli.stderr += chunk));
  return cli;
}

const SERVING = /serving (http:\/\/127\.0\.0\.1:\d+)\/api \(OpenAPI: http:\/\/127\.0\.0\.1:\d+\/api\/openapi\.json\)\n/;

/** Writes runs into the database file as another process would, and closes it. */
async function writeRuns(path: string, ...runs: readonly (readonly [runId: string, steps: number])[]): Promise<void> {
  const store = await openSqliteStore({ path });
  const bus = createBus();
  const writer = createStoreWriter(bus, store, { flushIntervalMs: 5 });
  for (const [runId, steps] of runs) for (const event of runEvents(runId, "default", steps)) await bus.emit(event);
  await writer.close();
  await store.close();
}

describe("runtrail serve", () => {
  it("serves a SQLite file on loopback in open mode, streams other processes' writes, and stops cleanly on SIGTERM", async () => {
    const db = join(dir, "open.db");
    await writeRuns(db, ["r1", 2]);
    const cli = runCli("serve", "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--poll", "50");
    try {
      const [, url] = await cli.waitFor(SERVING);
      expect(cli.stdout).toContain('[runtrail] no API tokens configured: listening on loopback (127.0.0.1) only; every request acts for account "default"\n');

      const runs = await fetch(`${url}/api/runs`);
      expect(runs.status).toBe(200);
      expect(((await runs.json()) as { runs: { runId: string; status: string }[] }).runs).toMatchObject([{ runId: "r1", status: "completed" }]);

      // A run written by another process reaches a live stream through the poll.
      const live = readSse(`${url}/api/stream`, { until: (messages) => messages.some((m) => m.data.runId === "r2" && m.data.type === "run.completed") });
      await writeRuns(db, ["r2", 3]);
      const messages = await live;
      expect(messages.filter((m) => m.data.runId === "r2").map((m) => m.data.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

      // SIGTERM while a client holds a stream open: the stream is cut, the process exits 0.
      const controller = new AbortController();
      const open = await fetch(`${url}/api/stream`, { signal: controller.signal });
      const reader = open.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain("retry:");
      cli.child.kill("SIGTERM");
      expect(await cli.exited(5_000)).toEqual({ code: 0, signal: null });
      controller.abort();
      expect(cli.stderr).toBe("");
    } finally {
      cli.child.kill("SIGKILL");
    }

    // The store was closed, not abandoned: the WAL is checkpointed away and the file is intact.
    expect(existsSync(`${db}-wal`)).toBe(false);
    const check = new Database(db, { readonly: true });
    try {
      expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      check.close();
    }
    const store = await openSqliteStore({ path: db });
    try {
      expect((await store.listRuns("default")).items.map((run) => [run.runId, run.eventCount])).toEqual([
        ["r2", 8],
        ["r1", 6],
      ]);
    } finally {
      await store.close();
    }
  });

  it("refuses a non-loopback bind without tokens: a clear error, exit 1, the database closed", async () => {
    const db = join(dir, "refused.db");
    const cli = runCli("serve", "--db", db, "--host", "0.0.0.0", "--port", "0", "--tokens", join(dir, "absent.json"));
    expect(await cli.exited()).toEqual({ code: 1, signal: null });
    expect(cli.stderr).toBe("refusing to listen on 0.0.0.0 without API tokens: configure tokens, or listen on 127.0.0.1\n");
    expect(cli.stdout).not.toContain("serving");
    expect(existsSync(`${db}-wal`)).toBe(false);
  });

  it("with a token file, binds any interface and asks every request for a token", async () => {
    const tokens = join(dir, "tokens.json");
    const lines: string[] = [];
    await tokenCommand((line) => lines.push(line)).parseAsync(["create", "--account", "acme", "--file", tokens], { from: "user" });
    const cli = runCli("serve", "--db", join(dir, "auth.db"), "--host", "0.0.0.0", "--port", "0", "--tokens", tokens);
    try {
      // Fastify answers a loopback URL for 0.0.0.0; the line also says what is really bound.
      const [, url] = await cli.waitFor(/serving (http:\/\/127\.0\.0\.1:(\d+))\/api on 0\.0\.0\.0 port \2 /);
      expect(cli.stdout).not.toContain("no API tokens");
      expect((await fetch(`${url}/api/runs`)).status).toBe(401);
      const allowed = await fetch(`${url}/api/runs`, { headers: { authorization: `Bearer ${lines[0]}` } });
      expect(allowed.status).toBe(200);
      cli.child.kill("SIGINT");
      expect(await cli.exited()).toEqual({ code: 0, signal: null });
    } finally {
      cli.child.kill("SIGKILL");
    }
  });

  it("refuses a port or poll interval that is not an integer in range", async () => {
    const port = runCli("serve", "--db", join(dir, "bad.db"), "--port", "80a");
    expect(await port.exited()).toEqual({ code: 1, signal: null });
    expect(port.stderr).toContain("the port must be an integer from 0 to 65535");
    const poll = runCli("serve", "--db", join(dir, "bad.db"), "--poll", "-5");
    expect(await poll.exited()).toEqual({ code: 1, signal: null });
    expect(poll.stderr).toContain("the poll interval must be an integer from 0 to 3600000");
    expect(existsSync(join(dir, "bad.db"))).toBe(false);
  });

  it("--log-level sets Fastify's log: info shows each request as a JSON line, the default (warn) none; a bad level is refused", async () => {
    const db = join(dir, "logs.db");
    const info = runCli("serve", "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"), "--log-level", "info");
    try {
      const [, url] = await info.waitFor(SERVING);
      expect((await fetch(`${url}/api/runs`)).status).toBe(200);
      const [line] = await info.waitFor(/\{[^\n]*"msg":"request completed"[^\n]*\}\n/);
      expect(JSON.parse(line)).toMatchObject({ level: 30, res: { statusCode: 200 }, msg: "request completed" });
      info.child.kill("SIGTERM");
      expect(await info.exited()).toEqual({ code: 0, signal: null });
    } finally {
      info.child.kill("SIGKILL");
    }
    const quiet = runCli("serve", "--db", db, "--port", "0", "--tokens", join(dir, "absent.json"));
    try {
      const [, url] = await quiet.waitFor(SERVING);
      expect((await fetch(`${url}/api/runs`)).status).toBe(200);
      quiet.child.kill("SIGTERM");
      expect(await quiet.exited()).toEqual({ code: 0, signal: null });
      expect(quiet.stdout).not.toContain('"msg"');
    } finally {
      quiet.child.kill("SIGKILL");
    }
    const bad = runCli("serve", "--db", db, "--log-level", "loud");
    expect(await bad.exited()).toEqual({ code: 1, signal: null });
    expect(bad.stderr).toContain("option '--log-level <level>' argument 'loud' is invalid. Allowed choices are fatal, error, warn, info, debug, trace, silent.");
  });

  it("runs when started through a symlinked bin, as npm installs it", async () => {
    // npm links `node_modules/.bin/runtrail` to the real file, in a folder whose name may need escaping in a URL.
    const bin = join(dir, "node modules", ".bin");
    mkdirSync(bin, { recursive: true });
    symlinkSync(CLI, join(bin, "runtrail"));
    const cli = runEntry(join(bin, "runtrail"), ["serve", "--help"]);
    expect(await cli.exited()).toEqual({ code: 0, signal: null });
    expect(cli.stdout).toContain("Usage: runtrail serve [options]");
  });
});
