/**
 * The core entry point (`runtrail`) must load in a browser or an edge runtime: nothing it imports,
 * directly or through other core files, may be a Node built-in or a heavy package.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src");
/** Pure-JS packages with no dependencies of their own, fine for any runtime. */
const ALLOWED_PACKAGES = new Set(["@sinclair/typebox", "@sinclair/typebox/compiler", "@sinclair/typebox/value", "@marcbachmann/cel-js", "yaml"]);

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]!);
}

function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else packages.add(spec);
    }
  };
  visit(resolve(src, entry));
  return { files, packages };
}

describe("core dependencies", () => {
  it("the core entry imports no Node built-in and no heavy package", () => {
    const { files, packages } = reachable("index.ts");
    expect(files.size).toBeGreaterThan(10);
    expect([...packages].filter((p) => !ALLOWED_PACKAGES.has(p))).toEqual([]);
  });
});
