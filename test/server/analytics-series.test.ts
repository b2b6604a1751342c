/**
 * `GET /api/analytics/steps/series` on a real server over each store: the buckets and what is in
 * them, p95 on known data, a token sees only its account, a bad query is a 400 naming the field,
 * and the answer validates against the route's schema in `/api/openapi.json`.
 */
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryTokenStore, createServer, type RuntrailServer } from "../../src/server/index.js";
import { STORES, type OpenedStore } from "../store/store-fixtures.js";
import { EXPECTED, H0, HOUR, RANGE, writeSeriesData } from "../store/step-series-data.js";

interface Served {
  readonly opened: OpenedStore;
  readonly server: RuntrailServer;
  readonly url: string;
  readonly tokens: { readonly acme: string; readonly globex: string };
}

const served = new Map<string, Served>();

beforeAll(async () => {
  for (const factory of STORES) {
    const opened = await factory.open();
    await writeSeriesData(opened.store);
    const tokenStore = createMemoryTokenStore();
    const tokens = { acme: (await tokenStore.create({ accountId: "acme" })).token, globex: (await tokenStore.create({ accountId: "globex" })).token };
    const server = await createServer({ store: opened.store, auth: { tokens: tokenStore }, dashboard: false, onNotice: () => undefined });
    served.set(factory.name, { opened, server, url: await server.listen({ host: "127.0.0.1", port: 0 }), tokens });
  }
}, 60_000);
afterAll(async () => {
  for (const { server, opened } of served.values()) {
    await server.close();
    await opened.dispose();
  }
});

/** GETs the route with `token` (acme's by default; null sends none). */
async function get(s: Served, query: string, token: string | null = s.tokens.acme): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${s.url}/api/analytics/steps/series${query}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const RANGE_QUERY = `?workflow=etl&bucket=1h&from=${RANGE.from}&to=${RANGE.to}`;

for (const factory of STORES) {
  describe(`GET /api/analytics/steps/series: ${factory.name}`, () => {
    const s = () => served.get(factory.name)!;

    it("answers each step per hour: completed, failed attempts, runs failed, avg and nearest-rank p95, with every bucket of the range", async () => {
      const { status, body } = await get(s(), RANGE_QUERY);
      expect(status).toBe(200);
      expect(body).toEqual({
        workflow: "etl",
        bucket: "1h",
        bucketMs: HOUR,
        from: RANGE.from,
        to: RANGE.to,
        buckets: [H0, H0 + HOUR, H0 + 2 * HOUR, H0 + 3 * HOUR],
        steps: JSON.parse(JSON.stringify(EXPECTED)) as unknown,
      });
    });

    it("validates against the route's schema in the OpenAPI document", async () => {
      const doc = (await (await fetch(`${s().url}/api/openapi.json`)).json()) as {
        paths: Record<string, { get: { parameters: { name: string; required?: boolean }[]; responses: Record<string, { content: { "application/json": { schema: object } } }> } }>;
        components: object;
      };
      const route = doc.paths["/api/analytics/steps/series"]!.get;
      expect(route.parameters.map((p) => [p.name, p.required === true])).toEqual([["workflow", true], ["bucket", false], ["from", false], ["to", false]]);
      expect(Object.keys(route.responses)).toEqual(["200", "400", "401", "414", "500"]);
      const validate = new Ajv({ strict: false }).compile({ ...route.responses["200"]!.content["application/json"].schema, components: doc.components });
      const { body } = await get(s(), RANGE_QUERY);
      expect(validate(body) ? [] : validate.errors).toEqual([]);
      // A point's schema refuses a field it does not name: the schema is not vacuous.
      const steps = body.steps as { points: Record<string, unknown>[] }[];
      steps[0]!.points[0]!.extra = 1;
      expect(validate(body)).toBe(false);
    });

    it("shows a token only its own account's steps", async () => {
      const globex = await get(s(), RANGE_QUERY, s().tokens.globex);
      expect(globex.status).toBe(200);
      expect(globex.body.steps).toEqual([{ stepId: "load", points: [{ t: H0, completed: 0, failures: 1, runsFailed: 1 }] }]);
      expect((await get(s(), RANGE_QUERY, null)).status).toBe(401);
      expect((await get(s(), RANGE_QUERY, "rt_not-a-token")).status).toBe(401);
    });

    it("defaults to the day before now, by the hour", async () => {
      const before = Date.now();
      const { status, body } = await get(s(), "?workflow=etl");
      expect(status).toBe(200);
      expect(body).toMatchObject({ bucket: "1h", bucketMs: HOUR, steps: [] });
      const to = body.to as number;
      expect(to).toBeGreaterThanOrEqual(before);
      expect(to - (body.from as number)).toBe(24 * HOUR);
      // 24 hours that start off the hour touch 25 hour buckets.
      expect((body.buckets as number[]).length).toBe(to % HOUR === 0 ? 24 : 25);
    });

    it("answers a bad query with a 400 naming the field", async () => {
      const cases: readonly [string, string, RegExp][] = [
        ["?bucket=1h", "querystring.workflow", /required/],
        [`?workflow=etl&bucket=2h`, "querystring.bucket", /allowed values/],
        [`?workflow=etl&from=${H0 + 1}&to=${H0}`, "querystring.from", /from \(\d+\) is after to \(\d+\)$/],
        [`?workflow=etl&from=${Date.now() + 10 * HOUR}`, "querystring.from", /is after to \(\d+\), which defaults to now/],
        [`?workflow=etl&bucket=1m&from=${H0}&to=${H0 + 2 * 24 * HOUR}`, "querystring.bucket", /spans 2880 buckets of 1m, more than the 1000 allowed/],
        [`?workflow=etl&from=-5`, "querystring.from", /must be >= 0/],
        [`?workflow=etl&to=soon`, "querystring.to", /must be number/],
        [`?workflow=etl&colour=red`, "querystring.colour", /not a known field/],
      ];
      for (const [query, field, message] of cases) {
        const { status, body } = await get(s(), query);
        expect(status, query).toBe(400);
        expect(body, query).toMatchObject({ error: "bad_request", field });
        expect(body.message, query).toMatch(message);
      }
      // The cap itself is allowed: 1000 one-minute buckets.
      const atCap = await get(s(), `?workflow=etl&bucket=1m&from=${H0}&to=${H0 + 1_000 * 60_000}`);
      expect(atCap.status).toBe(200);
      expect((atCap.body.buckets as number[]).length).toBe(1_000);
    });
  });
}

describe("GET /api/analytics/steps/series: both stores", () => {
  it("answers the same from SQLite and PostgreSQL", async () => {
    const [sqlite, postgres] = [served.get("sqlite"), served.get("postgres")];
    if (sqlite === undefined || postgres === undefined) throw new Error("both stores are needed (RUNTRAIL_STORES narrowed them)");
    for (const bucket of ["1m", "5m", "15m", "1h", "6h", "1d"]) {
      const query = `?workflow=etl&bucket=${bucket}&from=${H0 - HOUR}&to=${H0 + 5 * HOUR}`;
      const a = await get(sqlite, query);
      expect(a.status).toBe(200);
      expect((a.body.steps as unknown[]).length).toBe(3);
      expect(await get(postgres, query)).toEqual(a);
    }
  });
});
