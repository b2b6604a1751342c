/**
 * A deployment started from the CLI alone, on the local NATS (JetStream) and PostgreSQL: two
 * `runtrail worker`s take the runs `runtrail start` asks for, a `runtrail collect` stores their
 * trails, a `runtrail serve --nats` with no writer of its own streams them. Every run is executed
 * by exactly one worker, and stored once, gap-free from seq 1.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, scratch, startCli, type CliProcess } from "./cli-helpers.js";

const POSTGRES = process.env.RUNTRAIL_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
const id = Math.random().toString(36).slice(2, 8);
const account = `nats-cli-${id}`;
const names = [
  "--stream", `CLI_${id}`,
  "--prefix", `cli_${id}.ev`,
  "--run-queue", `CLI_RUNS_${id}`,
  "--run-prefix", `cli_${id}.start`,
  "--commit-subject", `cli_${id}.commit`,
];
const dir = scratch("nats-deploy");
let nc: NatsConnection;
const processes: CliProcess[] = [];
let workers: CliProcess[];
let url: string;

beforeAll(async () => {
  nc = await connect({ servers: "127.0.0.1:4222" }).catch((error: unknown) => {
    throw new Error(`this test needs NATS with JetStream on 127.0.0.1:4222 (start it: nats-server -js): ${String(error)}`);
  });
  const collector = startCli(["collect", "--postgres", POSTGRES, ...names, "--durable", `collector-${id}`, "--every", "0"]);
  workers = [0, 1].map(() => startCli(["worker", "--workflows", "examples", ...names, "--concurrency", "2", "--grace", "20"]));
  const server = startCli(["serve", "--postgres", POSTGRES, "--nats", "127.0.0.1:4222", ...names, "--account", account, "--port", "0", "--poll", "0", "--tokens", join(dir, "absent.json")]);
  processes.push(collector, ...workers, server);
  await collector.waitFor(/collecting cli_\w+\.ev\.> of stream CLI_\w+/, 60_000);
  for (const worker of workers) await worker.waitFor(/worker takes runs of release-train/, 60_000);
  [, url] = (await server.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api/, 60_000)) as unknown as [string, string];
  await server.waitFor(/live streams wake on the commits collectors announce on NATS \(cli_\w+\.commit\.\*\)/, 10_000);
}, 120_000);

afterAll(async () => {
  for (const child of processes) child.child.kill("SIGTERM");
  const results = await Promise.all(processes.map((p) => p.done));
  const jsm = await jetstreamManager(nc);
  for (const stream of [`CLI_${id}`, `CLI_RUNS_${id}`]) await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
  // Every process stopped cleanly on SIGTERM.
  expect(results.map((r) => r.code)).toEqual(processes.map(() => 0));
}, 60_000);

interface ApiEvent {
  readonly seq: number;
  readonly type: string;
  readonly runId: string;
}

async function storedRun(runId: string): Promise<{ status: string; events: ApiEvent[] }> {
  let seen = "nothing";
  for (let tries = 0; tries < 600; tries++) {
    const run = await fetch(`${url}/api/runs/${runId}`);
    seen = `${run.status} ${await run.clone().text()}`;
    if (run.status === 200) {
      const { status } = ((await run.json()) as { run: { status: string } }).run;
      if (status === "completed" || status === "failed") {
        const body = (await (await fetch(`${url}/api/runs/${runId}/events?limit=1000`)).json()) as { events: { event: ApiEvent }[] | ApiEvent[] };
        const events = body.events.map((e) => ("event" in e ? e.event : e));
        return { status, events };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} was not stored as ended within 60 s; the server last said ${seen}; the collector said ${processes[0]!.output.stdout} ${processes[0]!.output.stderr}`);
}

describe("runtrail worker, collect, start and serve --nats", { timeout: 180_000 }, () => {
  it("start --follow shows a run a worker executes live, to its end, and exits by its outcome", async () => {
    const ok = await runCli(["start", "order-pipeline", "--account", account, ...names, "--follow", "--progress", "plain"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/run [\w-]+ of order-pipeline requested; following it/);
    expect(ok.stdout.split("\n")[0]).toMatch(/^#1 run\.started/);
    expect(ok.stdout).toMatch(/#\d+ run\.completed in /);

    const failed = await runCli(["start", "release-train", "--input", '{"delayMs":10}', "--account", account, ...names, "--follow", "--progress", "plain"]);
    expect(failed.code, failed.stdout).toBe(2);
    expect(failed.stdout).toMatch(/#\d+ run\.failed/);
  });

  it("runs started from the CLI are each executed by one worker, stored once, gap-free, and streamed by a server with no writer", async () => {
    const started = await Promise.all(Array.from({ length: 6 }, () => runCli(["start", "order-pipeline", "--account", account, ...names])));
    for (const result of started) expect(result.code, result.stderr).toBe(0);
    const runIds = started.map((result) => result.stdout.trim());
    for (const runId of runIds) expect(runId).toMatch(/^[0-9a-f-]{36}$/);

    for (const runId of runIds) {
      const { status, events } = await storedRun(runId);
      expect(status).toBe("completed");
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.at(-1)?.type).toBe("run.completed");
      // Exactly one worker ran it.
      const ranBy = workers.filter((worker) => worker.output.stdout.includes(`run ${runId} completed`));
      expect(ranBy).toHaveLength(1);
    }
    // The server has no writer: the stream it serves was stored by the collector, and ends.
    const sse = await (await fetch(`${url}/api/runs/${runIds[0]}/stream?after=0`)).text();
    expect(sse).toMatch(/event: end/);
  });

  it("a request for a workflow no worker has waits in the queue; a bad --nats names the URL", async () => {
    const queued = await runCli(["start", "no-worker-has-it", "--account", account, ...names]);
    expect(queued.code, queued.stderr).toBe(0);
    const jsm = await jetstreamManager(nc);
    const waiting = await jsm.streams.getMessage(`CLI_RUNS_${id}`, { last_by_subj: `cli_${id}.start.no-worker-has-it` });
    expect(waiting?.json<{ runId: string; workflow: string; accountId: string }>()).toMatchObject({ runId: queued.stdout.trim(), workflow: "no-worker-has-it", accountId: account });

    const refused = await runCli(["start", "order-pipeline", "--nats", "127.0.0.1:1", ...names]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^--nats 127\.0\.0\.1:1: cannot connect \(.*\); start a server with JetStream on: nats-server -js\n$/);
  });
});
