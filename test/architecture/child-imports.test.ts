/**
 * Scripts that tests run as child processes (`*-child.ts`) must not load vitest, directly or
 * through a fixture they import: outside its runner vitest throws "failed to access its internal
 * state", and the child exits 1. (A fixture that grew a vitest hook broke every NATS child once.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

function childScripts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "artifacts" ? [] : childScripts(path);
    return entry.name.endsWith("-child.ts") ? [path] : [];
  });
}

/** The files `file` loads through relative imports, itself included, with any that imports vitest. */
function loaded(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  for (const [, spec] of text.matchAll(/^\s*import\s[^"']*["']([^"']+)["']/gm)) {
    if (spec === undefined || !spec.startsWith(".")) continue;
    const target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
    // The source tree is the product: only the test and bench helpers can pull vitest in.
    if (target.startsWith(join(ROOT, "test")) || target.startsWith(join(ROOT, "bench"))) loaded(target, seen);
  }
  return seen;
}

describe("child-process scripts", () => {
  const children = [...childScripts(join(ROOT, "test")), ...childScripts(join(ROOT, "bench"))];

  it("are found", () => {
    expect(children.length).toBeGreaterThanOrEqual(5);
  });

  it("load no vitest, through any test helper they import", () => {
    const offenders = children.flatMap((child) =>
      [...loaded(child)].filter((file) => /from\s+["']vitest["']/.test(readFileSync(file, "utf8"))).map((file) => `${child.slice(ROOT.length + 1)} → ${file.slice(ROOT.length + 1)}`),
    );
    expect(offenders).toEqual([]);
  });
});
