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
# The bin as `npm install runtrail` lays it out: the packed files (bin/ and dist/, no src/) in
# node_modules/runtrail beside this checkout's dependencies, so bin/runtrail.js must run dist/.
installed="$(mktemp -d)"
npm pack --ignore-scripts --silent --pack-destination "$installed" >/dev/null
mkdir -p "$installed/node_modules"
tar -xzf "$installed"/runtrail-*.tgz -C "$installed"
mv "$installed/package" "$installed/node_modules/runtrail"
test ! -e "$installed/node_modules/runtrail/src"
for dep in node_modules/*; do ln -s "$PWD/$dep" "$installed/node_modules/"; done
node "$installed/node_modules/runtrail/bin/runtrail.js" --version
node "$installed/node_modules/runtrail/bin/runtrail.js" run examples/order-spec.yaml --db "$installed/cli.db" --progress quiet
rm -rf "$installed"
for version in 22 24; do
  npx --yes -p "node@${version}" node scripts/core-smoke.mjs
done
