/**
 * Loading the workflows of a file, for `run` and `serve --workflows`: a `.ts`/`.js` module
 * (default export a workflow, or several exported by name; an exported `control` steers its
 * runs), or a YAML/JSON spec whose handlers are found by the rule in `spec-handlers.ts`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { parseWorkflow, WorkflowDefinitionError, type Workflow } from "../engine/index.js";
import type { ControlPort } from "../control/index.js";
import { CliError } from "./cli-errors.js";
import { importModule } from "./module-import.js";
import { specNames } from "./spec-handlers.js";
import { isControl, isWorkflow, workflowsOf } from "./workflow-exports.js";

export const SPEC_EXTENSIONS = [".yaml", ".yml", ".json"];
export const MODULE_EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"];

/** What a file holds. */
export interface WorkflowFile {
  readonly file: string;
  readonly workflows: readonly Workflow<unknown, unknown>[];
  /** The module's default export, when it is a workflow. */
  readonly primary?: Workflow<unknown, unknown>;
  /** The module's `control` export, if any. */
  readonly control?: ControlPort;
}

/**
 * Loads a file's workflows; every error names the file (and, for a spec, the line).
 *
 * @example
 * const { workflows } = await loadWorkflowFile("examples/order-spec.yaml");
 */
export async function loadWorkflowFile(path: string, options: { readonly handlers?: string } = {}): Promise<WorkflowFile> {
  const file = resolve(path);
  if (!existsSync(file)) throw new CliError(`no such workflow file: ${file}`);
  if (!statSync(file).isFile()) throw new CliError(`${file} is not a file`);
  const ext = extname(file).toLowerCase();
  if (SPEC_EXTENSIONS.includes(ext)) {
    const source = readFileSync(file, "utf8");
    const { options: names, text } = await specNames(file, source, options.handlers);
    try {
      const workflow = parseWorkflow(text, { ...names, file });
      return { file, workflows: [workflow], primary: workflow };
    } catch (error) {
      if (error instanceof WorkflowDefinitionError) throw new CliError(error.message);
      throw error;
    }
  }
  if (!MODULE_EXTENSIONS.includes(ext)) {
    throw new CliError(`${file}: not a workflow file (expected ${[...SPEC_EXTENSIONS, ...MODULE_EXTENSIONS].join(", ")})`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(file, "the workflow file");
  } catch (error) {
    // A builder that rejects its definition throws at import: show the engine's message.
    if (error instanceof CliError || !(error instanceof Error) || error.name !== "WorkflowDefinitionError") throw error;
    throw new CliError(`${file}: ${error.message}`);
  }
  const workflows = workflowsOf(exports);
  if (workflows.length === 0) throw new CliError(`${file} exports no workflow: default-export one (export default workflow("name")….build())`);
  const primary = isWorkflow(exports.default) ? exports.default : undefined;
  return { file, workflows, ...(primary === undefined ? {} : { primary }), ...(isControl(exports.control) ? { control: exports.control } : {}) };
}

/**
 * The one workflow `run` runs: the default export, else the only one, else the one named.
 *
 * @example
 * pickWorkflow(loaded, undefined)
 */
export function pickWorkflow(loaded: WorkflowFile, name: string | undefined): Workflow<unknown, unknown> {
  const names = loaded.workflows.map((wf) => wf.name);
  if (name !== undefined) {
    const found = loaded.workflows.find((wf) => wf.name === name);
    if (found === undefined) throw new CliError(`${loaded.file} has no workflow "${name}" (it has: ${names.join(", ")})`);
    return found;
  }
  if (loaded.primary !== undefined) return loaded.primary;
  if (loaded.workflows.length === 1) return loaded.workflows[0]!;
  throw new CliError(`${loaded.file} has ${loaded.workflows.length} workflows (${names.join(", ")}): pick one with --workflow NAME, or default-export it`);
}
