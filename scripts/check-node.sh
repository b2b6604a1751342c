#!/usr/bin/env bash
# Builds the package and runs the core smoke test on Node 20 (this machine's), 22 and 24
# (the npm package `node` ships those binaries, so nothing outside the npm registry is needed),
# the built SQLite store (its write thread is a file of its own), the built CLI and the built export
# entry points (OpenTelemetry, CloudEvents, AsyncAPI) on Node 20.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
node scripts/core-smoke.mjs
node scripts/sqlite-smoke.mjs
# The built bin as users get it (`node dist/cli/main.js`): a YAML spec whose handlers are a .ts
# module beside it (imported through tsx's loader, since Node 20 cannot strip types).
smoke_db="$(mktemp -d)/cli-smoke.db"
node dist/cli/main.js --version
node dist/cli/main.js run examples/order-spec.yaml --db "$smoke_db" --progress plain | tail -n 1
node scripts/export-smoke.mjs
for version in 22 24; do
  npx --yes -p "node@${version}" node scripts/core-smoke.mjs
done
