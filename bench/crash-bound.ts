/**
 * What a crash loses, measured: a producer emitting one run at full speed is killed with SIGKILL
 * after `RUNTRAIL_CRASH_MS` (default 2,000 ms); then the store is read. "Told" is the highest seq
 * the producer had been told about (an `emit` that returned in `batched` mode, an acknowledged
 * `sync` emit); "stored" is the highest stored seq (with no gap, checked). Lost = told − stored:
 * events the producer, and a live client shown accepted events, believed in, that the store
 * does not hold. `npx tsx bench/crash-bound.ts [rounds]` (default 3 per mode and store).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { iterateRun, type EventStore } from "../src/store/index.js";
import { openPostgresStore } from "../src/store/postgres/index.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";

const CHILD = fileURLToPath(new URL("./crash-bound-child.ts", import.meta.url));
const PG_URL = process.env.RUNTRAIL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const KILL_AFTER_MS = Number(process.env.RUNTRAIL_CRASH_MS ?? 2_000);
const ROUNDS = Number(process.argv[2] ?? 3);

/** Runs the child, kills it KILL_AFTER_MS after it is ready, and returns the last seq it was told about. */
function runAndKill(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let told = 0;
    let buffer = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "ready") setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
        const [word, seq] = line.split(" ");
        if (word === "ack" || word === "emitted") told = Number(seq);
      }
    });
    child.on("exit", (_code, signal) => (signal === "SIGKILL" ? resolve(told) : reject(new Error(`the producer exited by itself: ${stderr}`))));
  });
}

async function stored(store: EventStore): Promise<number> {
  let seq = 0;
  for await (const { event } of iterateRun(store, "default", "fast", { pageSize: 10_000 })) {
    if (event.seq !== seq + 1) throw new Error(`gap: seq ${event.seq} after ${seq}`);
    seq = event.seq;
  }
  return seq;
}

const results: string[] = [];
for (const kind of ["sqlite", "postgres"] as const) {
  for (const mode of ["batched", "sync"] as const) {
    const losses: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let open: () => Promise<EventStore>;
      let args: string[];
      let cleanup: () => Promise<void>;
      if (kind === "sqlite") {
        const dir = mkdtempSync(join(tmpdir(), "runtrail-crash-bound-"));
        const path = join(dir, "crash.db");
        args = ["sqlite", path, mode, "-"];
        open = () => openSqliteStore({ path });
        cleanup = async () => rmSync(dir, { recursive: true, force: true });
      } else {
        const schema = `rt_crash_bound_${process.pid}_${round}`;
        args = ["postgres", schema, mode, PG_URL];
        open = () => openPostgresStore({ connectionString: PG_URL, schema });
        cleanup = async () => {
          const admin = new pg.Client({ connectionString: PG_URL });
          await admin.connect();
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.end();
        };
      }
      const told = await runAndKill(args);
      const store = await open();
      const held = await stored(store);
      await store.close();
      await cleanup();
      losses.push(told - held);
      console.log(`${kind} ${mode} round ${round + 1}: told ${told}, stored ${held}, lost ${Math.max(0, told - held)}`);
    }
    results.push(`| ${kind} | ${mode} | ${losses.map((n) => Math.max(0, n).toLocaleString("en")).join(", ")} | ${Math.max(0, ...losses).toLocaleString("en")} |`);
  }
}
console.log(`\n| store | durability | lost per round (told − stored) | worst |\n| --- | --- | --- | --- |\n${results.join("\n")}`);
