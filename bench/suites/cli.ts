/**
 * The `cli` suite (`npm run bench -- cli`): `runtrail run` of a 10,000-step chain (some 50,000
 * events) beside the same run through the API with no display, each in a process of its own
 * started the same way (`node --import tsx`), so the ratio is the CLI's share: loading the file,
 * the store, and drawing. Per progress mode: `tty` (in a real pseudo-terminal), `plain` and `json`
 * (to a pipe), `quiet`. Then the tty window's redraw rate over that run, against its bound of 30
 * frames a second, whatever the event rate. Every run is checked: exit 0 and all its events stored.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pty from "@lydell/node-pty";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { median, type BenchRow } from "../harness.js";
import { countFrames } from "../peers/cli-frames.js";
import { eventsPerRun } from "../peers/engine-runtrail.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "src/cli/main.ts");
const CHAIN = join(ROOT, "bench/peers/cli-chain.ts");
const API = join(ROOT, "bench/peers/cli-api-run.ts");
const STEPS = Number(process.env.RUNTRAIL_BENCH_CHAIN ?? 10_000);
const SAMPLES = Number(process.env.RUNTRAIL_BENCH_SAMPLES ?? 3);
const SYNC_BEGIN = "\u001b[?2026h";
const EVENTS = eventsPerRun({ kind: "chain", steps: STEPS });

const dir = mkdtempSync(join(tmpdir(), "runtrail-bench-cli-"));
let runs = 0;
const log = (line: string): void => void process.stderr.write(`  cli: ${line}\n`);
const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, RUNTRAIL_BENCH_CHAIN: String(STEPS) };
  delete e.CI;
  delete e.NO_COLOR;
  return e;
};

/** Wall ms of a child process, checked to exit 0. */
function timed(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, env: env(), stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stdout.resume();
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    child.once("close", (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`${args.join(" ")} exited ${code}: ${err}`))));
  });
}

/** Wall ms of `runtrail run` in a pseudo-terminal, and the frames it drew. */
function timedTty(db: string): Promise<{ ms: number; frames: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = pty.spawn(process.execPath, ["--import", "tsx", CLI, "run", CHAIN, "--db", db], { cols: 120, rows: 40, cwd: ROOT, env: env() as Record<string, string>, name: "xterm-256color" });
    let frames = 0;
    child.onData((data) => void (frames += data.split(SYNC_BEGIN).length - 1));
    child.onExit(({ exitCode }) => (exitCode === 0 ? resolve({ ms: performance.now() - start, frames }) : reject(new Error(`tty run exited ${exitCode}`))));
  });
}

/** Checks a store holds one completed chain run per sample with every event. */
async function verify(db: string, expectedRuns: number): Promise<void> {
  const store = await openSqliteStore({ path: db });
  try {
    const page = await store.listRuns("default", { limit: 100 });
    const perRun = EVENTS;
    if (page.items.length !== expectedRuns || page.items.some((r) => r.status !== "completed" || r.eventCount !== perRun)) {
      throw new Error(`${db}: expected ${expectedRuns} completed runs of ${perRun} events, found ${page.items.map((r) => `${r.status}/${r.eventCount}`).join(", ")}`);
    }
  } finally {
    await store.close();
  }
}

async function samples(name: string, fn: (db: string) => Promise<number>): Promise<number> {
  const db = join(dir, `${name}.db`);
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    times.push(await fn(db));
    runs++;
    log(`${name} ${i + 1}/${SAMPLES}: ${Math.round(times.at(-1)!)} ms`);
  }
  await verify(db, SAMPLES);
  return median(times);
}

export default async function cli(): Promise<BenchRow[]> {
  try {
    const ttyFrames: { frames: number; ms: number }[] = [];
    // Interleaved by sample, so load on the machine falls on every contender alike.
    const api = await samples("api", (db) => timed([API, db]));
    const tty = await samples("tty", async (db) => {
      const r = await timedTty(db);
      ttyFrames.push(r);
      return r.ms;
    });
    const plain = await samples("plain", (db) => timed([CLI, "run", CHAIN, "--db", db, "--progress", "plain"]));
    const json = await samples("json", (db) => timed([CLI, "run", CHAIN, "--db", db, "--json"]));
    const quiet = await samples("quiet", (db) => timed([CLI, "run", CHAIN, "--db", db, "--progress", "quiet"]));
    const rates: number[] = [];
    let minGap = Infinity;
    for (let i = 0; i < SAMPLES; i++) {
      const count = await countFrames(STEPS);
      if (count.events !== EVENTS) throw new Error(`the display saw ${count.events} events, not ${EVENTS}`);
      rates.push((count.frames / count.openMs) * 1_000);
      minGap = Math.min(minGap, count.minGapMs);
      log(`frames ${i + 1}/${SAMPLES}: ${count.frames} in ${Math.round(count.openMs)} ms, shortest gap ${count.minGapMs.toFixed(1)} ms`);
    }
    const ptyFrames = median(ttyFrames.map((t) => t.frames));
    const label = `${STEPS.toLocaleString("en-US")}-step chain`;
    const note = `wall time of the whole process (start-up included), median of ${SAMPLES}; ${runs} runs, each verified complete in its store`;
    const row = (mode: string, ms: number): BenchRow => ({ case: `${label}, runtrail run --progress ${mode}`, metric: "wall time", unit: "ms", runtrail: ms, peers: { "API, no display": api }, note });
    return [
      row("tty", tty),
      row("plain", plain),
      row("json", json),
      row("quiet", quiet),
      {
        case: `${label}, tty window`,
        metric: "redraw rate",
        unit: "frames/s",
        runtrail: median(rates),
        peers: {},
        limit: { name: "bound", value: 30 },
        note: `frames (synchronized-output blocks) per second the display was open, the chain run in process with the tty display, median of ${SAMPLES}; shortest gap between frames ${minGap.toFixed(1)} ms (bound 33.3); ${EVENTS.toLocaleString("en-US")} events; through the pty, runtrail run drew a median ${ptyFrames} frames in ${Math.round(median(ttyFrames.map((t) => t.ms)))} ms of process life`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
