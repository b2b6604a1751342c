/**
 * Where a YAML/JSON spec's handlers come from. The rule, first match wins:
 * 1. `--handlers MODULE` on the command line;
 * 2. a top-level `handlers: ./module.ts` field in the spec (a CLI field: it is taken out before
 *    the engine reads the spec, with every other line where it was, so error lines stay true);
 * 3. a module beside the spec named after it: `orders.yaml` → `orders.handlers.ts` (or `.mts`,
 *    `.js`, `.mjs`).
 * The module's exports are the handlers: its `handlers` object, else its default export if that
 * is an object, else every exported function. Workflows it exports are the spec's sub-workflows,
 * by export name and by workflow name.
 */
import { existsSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { isMap, isScalar, parseDocument } from "yaml";
import type { SpecOptions } from "../engine/index.js";
import { importModule } from "./module-import.js";
import { isWorkflow } from "./workflow-exports.js";

const BESIDE = [".handlers.ts", ".handlers.mts", ".handlers.js", ".handlers.mjs"];

/**
 * The spec's `handlers` field (if any) and the text with it blanked out, lines and columns kept.
 *
 * @example
 * takeHandlersField("handlers: ./h.ts\nsteps: []\n") // { module: "./h.ts", text: "                \nsteps: []\n" }
 */
export function takeHandlersField(text: string): { readonly module?: string; readonly text: string } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return { text };
  const pair = doc.contents.items.find((item) => isScalar(item.key) && item.key.value === "handlers");
  if (pair === undefined || !isScalar(pair.key) || !isScalar(pair.value) || typeof pair.value.value !== "string") return { text };
  let start = pair.key.range?.[0] ?? 0;
  let end = pair.value.range?.[1] ?? start;
  // In a flow mapping (JSON) the pair's comma goes too: the one after it, else the one before.
  if (doc.contents.flow === true) {
    const after = /^\s*,/.exec(text.slice(end));
    if (after !== null) end += after[0].length;
    else {
      const before = /,\s*$/.exec(text.slice(0, start));
      if (before !== null) start -= before[0].length;
    }
  }
  const blanked = text.slice(0, start) + text.slice(start, end).replace(/[^\n]/g, " ") + text.slice(end);
  return { module: pair.value.value, text: blanked };
}

/**
 * The handlers and sub-workflows of a spec, by the rule above; none when no module is found.
 *
 * @example
 * const { options, text } = await specNames("flows/orders.yaml", source, undefined);
 */
export async function specNames(file: string, source: string, flag: string | undefined): Promise<{ readonly options: SpecOptions; readonly text: string; readonly module?: string }> {
  const field = takeHandlersField(source);
  const module = flag !== undefined ? resolve(flag) : field.module !== undefined ? resolve(dirname(file), field.module) : beside(file);
  if (module === undefined) return { options: {}, text: field.text };
  const what = flag !== undefined ? "the handlers module (--handlers)" : field.module !== undefined ? `the handlers module named in ${file}` : "the handlers module";
  const exports = await importModule(module, what);
  return { options: namesOf(exports), text: field.text, module };
}

function beside(file: string): string | undefined {
  const base = join(dirname(file), basename(file, extname(file)));
  return BESIDE.map((suffix) => base + suffix).find((candidate) => existsSync(candidate));
}

type Handlers = NonNullable<SpecOptions["handlers"]>;
type Workflows = NonNullable<SpecOptions["workflows"]>;

function namesOf(exports: Record<string, unknown>): SpecOptions {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !isWorkflow(v);
  const source = isRecord(exports.handlers) ? exports.handlers : isRecord(exports.default) ? exports.default : exports;
  const handlers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(source)) if (typeof value === "function") handlers[name] = value;
  const workflows: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (!isWorkflow(value)) continue;
    workflows[name] = value;
    workflows[value.name] = value;
  }
  return { handlers: handlers as Handlers, workflows: workflows as Workflows };
}
