/**
 * The first load's budget: the JavaScript the runs view needs (the entry script index.html loads
 * and the chunks it preloads) is under 150 KB gzipped; the run view and the graph load later.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { findDashboardRoot } from "../../src/server/index.js";

describe("the dashboard's first load", () => {
  it("ships the runs view in under 150 KB of gzipped JavaScript, the run view and graph apart", () => {
    const root = findDashboardRoot();
    if (root === undefined) throw new Error("the dashboard is not built: run `npm run build:dashboard` (npm test does it first)");
    const html = readFileSync(join(root, "index.html"), "utf8");
    const scripts = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="([^"]+\.js)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce((sum, src) => sum + gzipSync(readFileSync(join(root, src))).length, 0);
    console.log(`[dashboard] first load: ${scripts.join(", ")}: ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    expect(gzipped).toBeLessThan(150 * 1024);
    expect(scripts.some((src) => /run-graph|run-view/.test(src))).toBe(false);
  });
});
