// Builds the dashboard when dist/dashboard is missing or older than its sources (before `npm run demo`).
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const built = "dist/dashboard/index.html";
const newest = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
  const path = join(dir, entry.name);
  return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
}, 0);
if (!existsSync(built) || statSync(built).mtimeMs < newest("dashboard")) {
  execSync("npm run build:dashboard", { stdio: "inherit" });
}
