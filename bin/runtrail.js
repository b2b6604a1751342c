#!/usr/bin/env node
// The `runtrail` command. Installed from the registry, the package has no src/: this runs the
// built CLI in dist/. In a checkout (`npx runtrail` there links this very file), the TypeScript
// source sits beside it and dist/ is missing or older than the source: this runs the source
// through tsx (a dev dependency), exactly as `npm run runtrail` does, so what runs is what you
// see; without tsx (`npm install --omit=dev`) it falls back to a built dist/.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = new URL("../src/cli/main.ts", import.meta.url);
const built = new URL("../dist/cli/main.js", import.meta.url);

/**
 * tsx's in-process loaders, when this is a checkout with its dev dependencies installed: ESM and
 * CommonJS both, as `node --import tsx` has them (a user's .ts file outside a "type": "module"
 * package is loaded as CommonJS, and needs the second).
 */
async function tsxRegister() {
  if (!existsSync(fileURLToPath(source))) return undefined;
  try {
    const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
    return () => {
      esm.register();
      cjs.register();
    };
  } catch {
    return undefined;
  }
}

/** Whether tsx's loader is in place (it needs Node's `module.register`, from Node 20.6). */
async function tsxLoaded() {
  const register = await tsxRegister();
  if (register === undefined) return false;
  try {
    register();
    return true;
  } catch {
    return false;
  }
}

let entry = built;
if (await tsxLoaded()) {
  entry = source;
} else if (!existsSync(fileURLToPath(built))) {
  console.error(
    `runtrail: neither ${fileURLToPath(built)} nor tsx to run ${fileURLToPath(source)} is there: ` +
      "in a checkout, run `npm install` (tsx is a dev dependency) or `npm run build`",
  );
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
