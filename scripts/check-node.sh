#!/usr/bin/env bash
# Builds the package and runs the core smoke test on Node 20 (this machine's), 22 and 24
# (the npm package `node` ships those binaries, so nothing outside the npm registry is needed),
# the built SQLite store (its write thread is a file of its own) and the built export entry points
# (OpenTelemetry, CloudEvents, AsyncAPI) on Node 20.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
node scripts/core-smoke.mjs
node scripts/sqlite-smoke.mjs
node scripts/export-smoke.mjs
for version in 22 24; do
  npx --yes -p "node@${version}" node scripts/core-smoke.mjs
done
