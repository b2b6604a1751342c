/**
 * `npm run bench` runs every suite; `npm run bench -- bus control` runs the named ones.
 * Each suite is `bench/suites/<name>.ts`, exporting a default {@link Suite}.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { report, type Suite } from "./harness.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "suites");
const available = readdirSync(dir)
  .filter((file) => file.endsWith(".ts"))
  .map((file) => file.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(", ")}; available: ${available.join(", ")}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : available) {
  const suite = (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as { default: Suite };
  report(name, await suite.default());
}
