/**
 * The dashboard wing of the server: `/` and the app's paths answer with the app (deep links),
 * hashed assets are cached for good, `/api` keeps its own JSON 404s, and `dashboard: false`
 * or a missing build leave it out.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findDashboardRoot } from "../../src/server/index.js";
import { startHarness, type Harness } from "../server/server-fixtures.js";

describe("the dashboard at /", () => {
  let h: Harness;
  beforeAll(async () => {
    if (findDashboardRoot() === undefined) throw new Error("the dashboard is not built: run `npm run build:dashboard` (npm test does it first)");
    h = await startHarness();
  });
  afterAll(() => h.close());

  it("serves the app at / and at every deep link of the app, with the API untouched", async () => {
    for (const path of ["/", "/runs", "/runs/run-1?step=fetch&event=12", "/analytics?workflow=etl"]) {
      const response = await h.server.app.inject({ url: path });
      expect(response.statusCode, path).toBe(200);
      expect(response.headers["content-type"]).toContain("text/html");
      expect(response.headers["cache-control"]).toBe("no-cache");
      expect(response.body).toContain('<div id="root">');
    }
    const api = await h.server.app.inject({ url: "/api/no-such-route" });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toEqual({ error: "not_found", message: "no route GET /api/no-such-route" });
    const unknown = await h.server.app.inject({ url: "/favicon-nope.png" });
    expect(unknown.statusCode).toBe(404);
  });

  it("serves the hashed assets with a year of caching, and the OpenAPI document does not list the app's routes", async () => {
    const asset = readdirSync(join(findDashboardRoot()!, "assets")).find((name) => name.endsWith(".js"))!;
    const response = await h.server.app.inject({ url: `/assets/${asset}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("javascript");
    expect(response.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const doc = (await h.server.app.inject({ url: "/api/openapi.json" })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).every((path) => path.startsWith("/api/"))).toBe(true);
  });

  it("is left out with dashboard: false, and a root without a build is refused with what to do", async () => {
    const off = await startHarness({ dashboard: false });
    try {
      expect((await off.server.app.inject({ url: "/" })).statusCode).toBe(404);
    } finally {
      await off.close();
    }
    const empty = mkdtempSync(join(tmpdir(), "runtrail-nodash-"));
    try {
      await expect(startHarness({ dashboard: { root: empty } })).rejects.toThrow(`dashboard.root: ${empty} holds no index.html (build it with \`npm run build:dashboard\`)`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
