/**
 * The CLI on PostgreSQL, for real: `runtrail run … --postgres URL` stores the trail there, and
 * `runtrail runs` / `events` read it back, exactly as stored. Each run of this file writes into a
 * schema of its own (`?schema=` in the URL), dropped afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { pgAdmin, PG_URL, testSchema } from "../store/store-fixtures.js";
import { ndjson, runCli } from "./cli-helpers.js";

const schema = testSchema();
const url = `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}schema=${schema}`;
let admin: pg.Client;

beforeAll(async () => {
  admin = await pgAdmin(); // fails with how to start PostgreSQL when it is down
});
afterAll(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
});

describe("runtrail on PostgreSQL (--postgres URL)", { timeout: 120_000 }, () => {
  it("run stores the trail there; runs and events read it back exactly as stored", async () => {
    const ok = await runCli(["run", "examples/order-spec.yaml", "--postgres", url, "--account", "pg-cli", "--json"]);
    expect(ok.code, ok.stderr).toBe(0);
    const printed = ndjson(ok.stdout);
    const completed = printed[0]!.runId as string;
    expect(printed.map((e) => e.seq)).toEqual(printed.map((_, i) => i + 1));
    expect(printed.at(-1)).toMatchObject({ type: "run.completed" });

    const failed = await runCli(["run", "examples/release-train.yaml", "--postgres", url, "--account", "pg-cli", "--progress", "quiet"]);
    expect(failed.code).toBe(2);
    expect(failed.stdout + failed.stderr).toMatch(/release-train failed at step deploy/);

    const runs = await runCli(["runs", "--postgres", url, "--account", "pg-cli", "--json"]);
    expect(runs.code, runs.stderr).toBe(0);
    const listed = ndjson(runs.stdout);
    expect(listed.map((r) => r.status)).toEqual(["failed", "completed"]);
    expect(listed[1]!.runId).toBe(completed);
    const table = await runCli(["runs", "--postgres", url, "--account", "pg-cli"]);
    expect(table.stdout).toMatch(/release-train@2\s+failed/);
    expect(table.stdout).toMatch(/order-pipeline@1\s+completed/);

    const events = await runCli(["events", completed, "--postgres", url, "--account", "pg-cli", "--json"]);
    expect(events.code, events.stderr).toBe(0);
    expect(ndjson(events.stdout)).toEqual(printed);
    const retries = await runCli(["events", completed, "--postgres", url, "--account", "pg-cli", "--types", "step.retrying"]);
    expect(retries.stdout.trim().split("\n")).toEqual([expect.stringMatching(/^#\d+ step\.retrying ship: carrier busy/)]);

    // What the CLI read is what the store holds, in this schema and this account only.
    const store = await openPostgresStore({ connectionString: PG_URL, schema });
    try {
      const stored = (await store.readRun("pg-cli", completed, { after: 0, limit: 10_000 })).items.map((item) => item.event);
      expect(JSON.parse(JSON.stringify(stored))).toEqual(printed);
      expect((await store.listRuns("default", { limit: 10 })).items).toEqual([]);
    } finally {
      await store.close();
    }
    const other = await runCli(["runs", "--postgres", url, "--json"]);
    expect(ndjson(other.stdout)).toEqual([]);
  });

  it("an empty ?schema= is refused, saying so", async () => {
    const result = await runCli(["runs", "--postgres", `${PG_URL}?schema=`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`--postgres ${PG_URL}?schema=: ?schema= names no schema\n`);
  });
});
