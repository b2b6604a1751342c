/**
 * Telling workflows among a module's exports. By shape, not `instanceof`: a file loaded through
 * tsx's loader gets its own copy of the engine's classes.
 */
import type { ControlPort } from "../control/index.js";
import type { Workflow } from "../engine/index.js";

/**
 * Whether a value is a built workflow.
 *
 * @example
 * Object.values(await import("./flows.ts")).filter(isWorkflow)
 */
export function isWorkflow(value: unknown): value is Workflow<unknown, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.name === "string" && typeof v.start === "function" && typeof v.run === "function" && typeof v.graph === "object";
}

/** Whether a value can answer the engine's decision points (a `createControl()` manager). */
export function isControl(value: unknown): value is ControlPort {
  return typeof value === "object" && value !== null && typeof (value as { check?: unknown }).check === "function";
}

/**
 * The workflows a module exports: its default export first (a workflow, or an array or object
 * of them), then its named exports; each once.
 *
 * @example
 * workflowsOf({ default: etl, report }) // [etl, report]
 */
export function workflowsOf(exports: Record<string, unknown>): Workflow<unknown, unknown>[] {
  const found: Workflow<unknown, unknown>[] = [];
  const add = (value: unknown): void => {
    if (isWorkflow(value)) {
      if (!found.includes(value)) found.push(value);
    } else if (Array.isArray(value)) value.forEach(add);
    else if (typeof value === "object" && value !== null && value === exports.default) Object.values(value).forEach(add);
  };
  add(exports.default);
  for (const [name, value] of Object.entries(exports)) if (name !== "default") add(value);
  return found;
}
