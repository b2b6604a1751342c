/**
 * Workflows from YAML or JSON specs: the spec is compiled in `define/`, and becomes a runnable
 * {@link Workflow} here.
 */
import { compileSpec, looksLikePath, type SpecOptions } from "./define/spec-compile.js";
import { Workflow } from "./workflow.js";

/**
 * Parses and validates a YAML or JSON spec (JSON is YAML, so lines are known for both).
 *
 * @example
 * const wf = parseWorkflow(`
 * name: orders
 * steps:
 *   - id: fetch
 *     run: fetchOrders
 *   - id: total
 *     run: sum
 *     needs: [fetch]
 * `, { handlers: { fetchOrders, sum } });
 */
export function parseWorkflow(text: string, options: SpecOptions = {}): Workflow<unknown, unknown> {
  return new Workflow(compileSpec(text, options));
}

/**
 * Loads a spec from a file path (`.yaml`, `.yml`, `.json`) or from the spec's text itself.
 * Async because reading a file is; the file is read with `node:fs` only when a path is given.
 *
 * @example
 * const wf = await loadWorkflow("flows/orders.yaml", { handlers: { fetchOrders, sum } });
 * await wf.run({ since: "2024-01-01" });
 */
export async function loadWorkflow(fileOrText: string, options: SpecOptions = {}): Promise<Workflow<unknown, unknown>> {
  if (!looksLikePath(fileOrText)) return parseWorkflow(fileOrText, options);
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(fileOrText, "utf8");
  return parseWorkflow(text, { ...options, file: options.file ?? fileOrText });
}
