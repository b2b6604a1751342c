/**
 * A suspended run resumes in a NATS deployment, on the local NATS (JetStream) and PostgreSQL:
 * a `runtrail worker` starts a run whose step waits for approval, `runtrail collect` stores it
 * suspended, the worker exits (the wait does not hold it); `runtrail signal` through
 * `runtrail serve --nats` (no writer) checks the payload against the stored wait's schema and
 * queues the signal on the run queue; a new worker given the store (`--postgres`) resumes the run
 * from its trail and finishes it. Steps before the wait ran once (each call appends a line to a
 * file), and the stored trail is gap-free from seq 1.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, scratch, startCli, type CliProcess } from "./cli-helpers.js";

const POSTGRES = process.env.RUNTRAIL_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
const id = Math.random().toString(36).slice(2, 8);
const account = `nats-signal-${id}`;
const runQueue = `SIG_RUNS_${id}`;
const names = ["--stream", `SIG_${id}`, "--prefix", `sig_${id}.ev`, "--run-queue", runQueue, "--run-prefix", `sig_${id}.start`, "--commit-subject", `sig_${id}.commit`];
const dir = scratch("nats-signal");
const flows = join(dir, "flows");
mkdirSync(flows);
writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
const calls = join(dir, "calls.txt");
writeFileSync(
  join(flows, "approvals.ts"),
  `import { appendFileSync } from "node:fs";
import { workflow } from ${JSON.stringify(join(ROOT, "src/engine/index.ts"))};
const count = (step: string): void => appendFileSync(${JSON.stringify(calls)}, step + "\\n");
export const approvals = workflow<{ amount: number }>("nats-approvals", { version: "2" })
  .step("draft", (ctx) => { count("draft"); return { amount: ctx.input.amount }; })
  .step("approval", async (ctx) => {
    count("approval");
    const answer = await ctx.waitFor("approval", { schema: { type: "object", properties: { approved: { type: "boolean" } }, required: ["approved"] } });
    return answer as { approved: boolean };
  }, { needs: ["draft"] })
  .step("pay", (ctx) => { count("pay"); return { paid: ctx.steps.approval.approved, amount: ctx.steps.draft.amount }; }, { needs: ["approval"] })
  .build();
`,
);
const lines = (): string[] => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : []);

let nc: NatsConnection;
const processes: CliProcess[] = [];
let url: string;

beforeAll(async () => {
  nc = await connect({ servers: "127.0.0.1:4222" }).catch((error: unknown) => {
    throw new Error(`this test needs NATS with JetStream on 127.0.0.1:4222 (start it: nats-server -js): ${String(error)}`);
  });
  const collector = startCli(["collect", "--postgres", POSTGRES, ...names, "--durable", `collector-${id}`, "--every", "0"]);
  const server = startCli(["serve", "--postgres", POSTGRES, "--nats", "127.0.0.1:4222", ...names, "--account", account, "--port", "0", "--poll", "0", "--tokens", join(dir, "absent.json")]);
  processes.push(collector, server);
  await collector.waitFor(/collecting sig_\w+\.ev\.> of stream SIG_\w+/, 60_000);
  [, url] = (await server.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+)\/api/, 60_000)) as unknown as [string, string];
  await server.waitFor(/signals for suspended runs are queued for NATS workers on sig_\w+\.start\.<workflow>/, 10_000);
}, 120_000);

afterAll(async () => {
  for (const child of processes) if (child.child.exitCode === null) child.child.kill("SIGTERM");
  const results = await Promise.all(processes.map((p) => p.done));
  const jsm = await jetstreamManager(nc);
  for (const stream of [`SIG_${id}`, runQueue]) await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
  expect(results.map((r) => r.code)).toEqual(processes.map(() => 0));
}, 60_000);

interface ApiEvent {
  readonly seq: number;
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Polls the server (which reads what the collector stored) until the run's status is one of `statuses`. */
async function storedAs(runId: string, statuses: readonly string[]): Promise<ApiEvent[]> {
  let seen = "nothing";
  for (let tries = 0; tries < 600; tries++) {
    const run = await fetch(`${url}/api/runs/${runId}`);
    seen = `${run.status} ${await run.clone().text()}`;
    if (run.status === 200 && statuses.includes(((await run.json()) as { run: { status: string } }).run.status)) {
      const body = (await (await fetch(`${url}/api/runs/${runId}/events?limit=1000`)).json()) as { events: ({ event: ApiEvent } | ApiEvent)[] };
      return body.events.map((e) => ("event" in e ? e.event : e) as ApiEvent);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} was not stored as ${statuses.join("/")} within 60 s; the server last said ${seen}`);
}

async function queued(): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(runQueue)).state.messages;
}

describe("a suspended run resumes in a NATS deployment", { timeout: 180_000 }, () => {
  it("worker suspends and exits; signal via serve --nats is checked, queued once, and a new worker resumes it from the trail", async () => {
    const first = startCli(["worker", "--workflows", flows, ...names, "--grace", "20"]);
    processes.push(first);
    await first.waitFor(/worker takes runs of nats-approvals/, 60_000);
    const started = await runCli(["start", "nats-approvals", "--input", '{"amount":5}', "--account", account, ...names]);
    expect(started.code, started.stderr).toBe(0);
    const runId = started.stdout.trim();

    const before = await storedAs(runId, ["suspended"]);
    expect(before.at(-1)).toMatchObject({ type: "run.suspended", waitingFor: "approval" });
    expect(lines()).toEqual(["draft", "approval"]);
    // The waiting run does not hold its worker: SIGTERM ends it at once, with 0.
    first.child.kill("SIGTERM");
    const ended = await first.done;
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stdout).toMatch(/0 in flight \(1 waiting for a signal are left to their trails\)/);

    // A bad payload: 400 naming the field, and nothing is queued.
    const refused = await runCli(["signal", runId, "approval", "--data", '{"approved":"yes"}', "--url", url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/signal "approval" refused by .* \(400\): signal "approval": payload field \/approved .*\(field body\.approved\)/);
    const wrongName = await fetch(`${url}/api/runs/${runId}/signals/other`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(wrongName.status).toBe(409);
    expect(((await wrongName.json()) as { message: string }).message).toMatch(/not waiting for signal "other": it waits for "approval"/);
    expect(await queued()).toBe(0);

    const sent = await runCli(["signal", runId, "approval", "--data", '{"approved":true}', "--url", url]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(new RegExp(`signal "approval" queued for a worker to resume run ${runId}`));
    // Sent again (a retry): 202 again, queued once.
    const again = await fetch(`${url}/api/runs/${runId}/signals/approval`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"approved":true}' });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ runId, signal: "approval", queued: true });
    // The OpenAPI document says so.
    const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as { paths: Record<string, { post?: { responses: Record<string, unknown> } }> };
    expect(JSON.stringify(doc.paths["/api/runs/{runId}/signals/{name}"]?.post?.responses["202"])).toMatch(/"queued"/);
    expect(await queued()).toBe(1);

    const second = startCli(["worker", "--workflows", flows, ...names, "--postgres", POSTGRES, "--grace", "20"]);
    processes.push(second);
    await second.waitFor(new RegExp(`signal "approval" delivered to run ${runId} \\(resumed here from its trail\\)`), 60_000);
    await second.waitFor(new RegExp(`run ${runId} completed`), 60_000);

    const events = await storedAs(runId, ["completed", "failed"]);
    expect(events.at(-1)).toMatchObject({ type: "run.completed", output: { paid: true, amount: 5 } });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "run.started")).toHaveLength(1);
    expect(events.filter((e) => ["run.completed", "run.failed", "run.cancelled"].includes(e.type))).toHaveLength(1);
    expect(events.filter((e) => e.type === "signal.received")).toEqual([expect.objectContaining({ signal: "approval", payload: { approved: true }, by: "api" })]);
    // The waiting step's own code runs again up to its waitFor (documented); nothing before it does.
    expect(lines()).toEqual(["draft", "approval", "approval", "pay"]);
    expect(await queued()).toBe(0);

    // Ended: the server refuses the signal itself, and queues nothing.
    const late = await runCli(["signal", runId, "approval", "--data", '{"approved":true}', "--url", url]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/\(409\): run "[\w-]+" has completed/);
    expect(await queued()).toBe(0);
  });
});
