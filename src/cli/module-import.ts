/**
 * Imports a user's `.ts`/`.js` module by path. A `.ts` file is imported as it is where the
 * process already runs TypeScript (tsx, as in `npm run runtrail`, or a Node that strips types);
 * elsewhere through tsx's loader, when tsx is installed.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CliError, messageOf } from "./cli-errors.js";

const TS = /\.(c|m)?tsx?$/i;

/** Node's codes for an ES module required as CommonJS (no "type": "module" above it). */
const CJS_LOAD_CODES = new Set(["ERR_REQUIRE_CYCLE_MODULE", "ERR_REQUIRE_ESM", "ERR_REQUIRE_ASYNC_MODULE"]);

/**
 * The module's namespace.
 *
 * @example
 * const mod = await importModule("examples/approval-flow.ts", "the workflow file");
 */
export async function importModule(path: string, what: string): Promise<Record<string, unknown>> {
  const full = resolve(path);
  if (!existsSync(full)) throw new CliError(`${what} ${full} does not exist`);
  const url = pathToFileURL(full).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (TS.test(full) && code === "ERR_UNKNOWN_FILE_EXTENSION") return importWithTsx(url, full, what);
    if (error instanceof SyntaxError) throw new CliError(`${what} ${full} does not load: ${error.message}`);
    // A .ts/.js file with `import` outside an ESM package is loaded as CommonJS, which fails in ways that do not say so.
    if (code !== undefined && CJS_LOAD_CODES.has(code)) {
      throw new CliError(`${what} ${full} is an ES module loaded as CommonJS (${code}): add "type": "module" to the package.json beside it (or above it), or name it .mts/.mjs`);
    }
    throw new CliError(`${what} ${full} failed to load: ${error instanceof Error && error.stack !== undefined ? error.stack : messageOf(error)}`);
  }
}

async function importWithTsx(url: string, full: string, what: string): Promise<Record<string, unknown>> {
  let api: { tsImport(specifier: string, parent: string): Promise<unknown> };
  try {
    api = (await import("tsx/esm/api")) as typeof api;
  } catch {
    throw new CliError(`${what} ${full} is TypeScript: install tsx (npm install -D tsx) or run it as JavaScript`);
  }
  return (await api.tsImport(url, import.meta.url)) as Record<string, unknown>;
}
