/**
 * `serve --workflows DIR`: every workflow file in a folder (not its subfolders), by the rules of
 * `workflow-file.ts`. Handler modules of specs (`*.handlers.ts`) are not workflow files, and a
 * module that exports no workflow, or a YAML/JSON file with no `steps` (an input file), is passed
 * over (with a line that says so); a workflow name
 * found twice is an error naming both files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { parse } from "yaml";
import { extname, join, resolve } from "node:path";
import type { ControlPort } from "../control/index.js";
import type { StartableWorkflow } from "../server/index.js";
import { CliError } from "./cli-errors.js";
import { loadWorkflowFile, MODULE_EXTENSIONS, SPEC_EXTENSIONS } from "./workflow-file.js";

/** A workflow and the file it came from. */
export interface FoundWorkflow {
  readonly workflow: StartableWorkflow;
  readonly file: string;
}

/**
 * The workflows of a folder, sorted by file name.
 *
 * @example
 * const found = await loadWorkflowDir("./workflows");
 */
export async function loadWorkflowDir(dir: string, print: (line: string) => void = console.log): Promise<FoundWorkflow[]> {
  const full = resolve(dir);
  if (!existsSync(full) || !statSync(full).isDirectory()) throw new CliError(`--workflows ${full}: not a folder`);
  const files = readdirSync(full)
    .filter((name) => [...SPEC_EXTENSIONS, ...MODULE_EXTENSIONS].includes(extname(name).toLowerCase()))
    .filter((name) => !/\.handlers\.[cm]?[jt]s$/i.test(name) && !/\.d\.[cm]?ts$/i.test(name))
    .sort();
  const found: FoundWorkflow[] = [];
  for (const name of files) {
    const file = join(full, name);
    if (SPEC_EXTENSIONS.includes(extname(name).toLowerCase()) && !looksLikeSpec(file)) {
      print(`[runtrail] ${file}: not a workflow spec (no top-level "steps"), passed over`);
      continue;
    }
    // A module that exports no workflow (a helper, a spec's handlers) is passed over, and said so.
    const loaded = await loadWorkflowFile(file).catch((error: unknown) => {
      if (error instanceof CliError && error.message.includes("exports no workflow")) return undefined;
      throw error;
    });
    if (loaded === undefined) {
      print(`[runtrail] ${file}: no workflow exported, passed over`);
      continue;
    }
    for (const workflow of loaded.workflows) {
      const twin = found.find((f) => f.workflow.name === workflow.name);
      if (twin !== undefined) throw new CliError(`workflow "${workflow.name}" is defined twice: in ${twin.file} and in ${file}`);
      found.push({ workflow: loaded.control === undefined ? workflow : withControl(workflow, loaded.control), file });
    }
  }
  if (found.length === 0) throw new CliError(`--workflows ${full}: no workflow file in it (${[...SPEC_EXTENSIONS, ...MODULE_EXTENSIONS].join(", ")})`);
  return found;
}

/** A data file beside the workflows (an input, a fixture) has no `steps`; a broken spec still fails loudly. */
function looksLikeSpec(file: string): boolean {
  try {
    const doc: unknown = parse(readFileSync(file, "utf8"));
    return typeof doc === "object" && doc !== null && "steps" in doc;
  } catch {
    return true;
  }
}

/**
 * A workflow whose API-started runs are steered by `control` (the module's `control` export),
 * as `runtrail run` steers them.
 *
 * @example
 * withControl(orders, control).start(input, { bus, accountId })
 */
export function withControl(workflow: StartableWorkflow, control: ControlPort): StartableWorkflow {
  const steered: StartableWorkflow = { name: workflow.name, version: workflow.version, start: (input, options) => workflow.start(input, { control, ...options }) };
  const resume = workflow.resume?.bind(workflow);
  return resume === undefined ? steered : { ...steered, resume: (trail, options) => resume(trail, { control, ...options }) };
}
