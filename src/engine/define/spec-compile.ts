/**
 * Workflow specs in YAML or JSON: parsed, checked against the schema, turned into the same model
 * the builder makes and validated by the same compiler. Every error names the file, the path in
 * the document (`/steps/2/needs/0`), its line, and what is wrong.
 */
import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { isNode, LineCounter, parseDocument, type Document } from "yaml";
import type { GraphModel, NodeModel, StepHandler, SubWorkflow } from "./definition-types.js";
import { compileGraph, type CompiledGraph } from "./graph-compile.js";
import { WorkflowDefinitionError, type DefinitionIssue } from "./definition-errors.js";
import { WorkflowSpecSchema, type StepSpec, type WorkflowSpec } from "./spec-schema.js";

/**
 * What a spec's names refer to.
 * @example
 * parseWorkflow(text, { handlers: { fetch, sum }, workflows: { enrich }, file: "flows/orders.yaml" })
 */
export interface SpecOptions {
  /** Step code by the name a spec's `run:` uses. */
  readonly handlers?: Readonly<Record<string, StepHandler<never, never, unknown>>>;
  /** Sub-workflows by the name a spec's `workflow:` uses. */
  readonly workflows?: Readonly<Record<string, SubWorkflow>>;
  /** The file name errors mention when the text came from elsewhere. */
  readonly file?: string;
  /** The workflow's name when the document has none. Default: the file's base name, else "workflow". */
  readonly name?: string;
}

type Path = (string | number)[];
const KINDS = ["run", "workflow", "if", "foreach", "while"] as const;

/**
 * Parses, validates and compiles a YAML or JSON spec (JSON is YAML, so lines are known for both).
 * Every issue found is thrown at once, each with its path and line.
 *
 * @example
 * const graph = compileSpec("name: w\nsteps:\n  - id: a\n    run: fetch\n", { handlers: { fetch } });
 */
export function compileSpec(text: string, options: SpecOptions = {}): CompiledGraph {
  const file = options.file;
  const fallbackName = options.name ?? (file === undefined ? "workflow" : baseName(file));
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => ({
      path: [],
      message: `not valid YAML/JSON: ${error.message.split("\n")[0]}`,
      ...(error.linePos?.[0] === undefined ? {} : { line: error.linePos[0].line }),
    }));
    throw new WorkflowDefinitionError(fallbackName, issues, file);
  }
  const value: unknown = doc.toJS();
  const line = (path: readonly (string | number)[]): number | undefined => lineOf(doc, lineCounter, path);
  const name = isObject(value) && typeof value.name === "string" && value.name !== "" ? value.name : fallbackName;
  const schemaIssues = inDocumentOrder(schemaProblems(WorkflowSpecSchema, value).map((issue) => withLine(issue, line)));
  if (schemaIssues.length > 0) throw new WorkflowDefinitionError(name, schemaIssues, file);

  const issues: DefinitionIssue[] = [];
  const model = toModel(value as WorkflowSpec, name, [], options, issues);
  let graph: CompiledGraph | undefined;
  try {
    graph = compileGraph(model);
  } catch (error) {
    if (!(error instanceof WorkflowDefinitionError)) throw error;
    issues.push(...error.issues);
  }
  if (issues.length > 0 || graph === undefined) {
    throw new WorkflowDefinitionError(name, inDocumentOrder(issues.map((issue) => withLine(issue, line))), file);
  }
  return graph;
}

export function looksLikePath(value: string): boolean {
  return !value.includes("\n") && /\.(ya?ml|json)$/i.test(value.trim());
}

function baseName(file: string): string {
  const last = file.split(/[\\/]/).pop() ?? file;
  return last.replace(/\.(ya?ml|json)$/i, "") || "workflow";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Schema errors, one per path (the first, most specific message), in document order. */
function schemaProblems(schema: TSchema, value: unknown): DefinitionIssue[] {
  const byPath = new Map<string, DefinitionIssue>();
  for (const error of Value.Errors(schema, value)) {
    const pointer = error.path;
    if (byPath.has(pointer)) continue;
    const path: Path = pointer === "" ? [] : pointer.slice(1).split("/").map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment.replace(/~1/g, "/").replace(/~0/g, "~")));
    const got = error.value === undefined ? "missing" : `got ${JSON.stringify(error.value) ?? typeof error.value}`;
    const message = error.message === "Unexpected property" ? `unknown field "${String(path[path.length - 1])}"` : `${error.message.toLowerCase()} (${got})`;
    byPath.set(pointer, { path, message });
  }
  // A union reports its own failure and its members'; keep the deepest, most useful ones.
  const all = [...byPath.values()];
  return all.filter((issue) => !all.some((other) => other !== issue && isPrefix(issue.path, other.path)));
}

function isPrefix(prefix: readonly (string | number)[], path: readonly (string | number)[]): boolean {
  return prefix.length < path.length && prefix.every((segment, i) => segment === path[i]);
}

function withLine(issue: DefinitionIssue, line: (path: readonly (string | number)[]) => number | undefined): DefinitionIssue {
  const at = line(issue.path);
  return at === undefined ? issue : { ...issue, line: at };
}

/** By line, then by path, so a long report reads top to bottom like the file. */
function inDocumentOrder(issues: DefinitionIssue[]): DefinitionIssue[] {
  const key = (issue: DefinitionIssue): string =>
    String(issue.line ?? 0).padStart(8, "0") + "/" + issue.path.map((s) => (typeof s === "number" ? String(s).padStart(6, "0") : s)).join("/");
  return [...issues].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The line of the node at `path`, or of its nearest ancestor present in the document. */
function lineOf(doc: Document, lineCounter: LineCounter, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

function toModel(spec: WorkflowSpec, name: string, base: Path, options: SpecOptions, issues: DefinitionIssue[]): GraphModel {
  const nodes = spec.steps.map((step, i) => toNode(step, [...base, "steps", i], options, issues));
  return {
    name,
    ...(spec.version === undefined ? {} : { version: spec.version }),
    nodes,
    ...(spec.vars === undefined ? {} : { vars: spec.vars }),
    ...(spec.output === undefined ? {} : { output: spec.output }),
    ...(spec.concurrency === undefined ? {} : { concurrency: spec.concurrency }),
    ...(spec.recover === undefined ? {} : { recover: spec.recover }),
  };
}

/** Stands in for a handler that was reported missing, so the compiler does not report it twice. */
const MISSING: StepHandler<never, never> = () => undefined;

function toNode(step: StepSpec, at: Path, options: SpecOptions, issues: DefinitionIssue[]): NodeModel {
  const problem = (field: string, message: string): void => {
    issues.push({ stepId: step.id, path: [...at, field], message: `step "${step.id}": ${message}` });
  };
  const common = {
    id: step.id,
    ...(step.needs === undefined ? {} : { needs: step.needs }),
    ...(step.when === undefined ? {} : { when: step.when }),
    ...(step.input === undefined ? {} : { input: step.input }),
    ...(step.retry === undefined ? {} : { retry: step.retry }),
    ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
    ...(step.tag === undefined ? {} : { tag: step.tag }),
    ...(step.key === undefined ? {} : { key: step.key }),
    ...(step.idempotent === undefined ? {} : { idempotent: step.idempotent }),
  };
  const kinds = KINDS.filter((kind) => step[kind] !== undefined);
  if (kinds.length > 1) problem(kinds[1]!, `has both "${kinds[0]}" and "${kinds[1]}"; a step does one thing`);
  if (step.if === undefined) {
    if (step.then !== undefined) problem("then", '"then" belongs to an "if" step');
    if (step.else !== undefined) problem("else", '"else" belongs to an "if" step');
  }
  if (step.foreach === undefined && step.while === undefined && step.do !== undefined) problem("do", '"do" belongs to a "foreach" or "while" step');
  switch (kinds[0]) {
    case "workflow": {
      const child = options.workflows?.[step.workflow!];
      if (child === undefined) {
        problem("workflow", `workflow "${step.workflow}" is not registered (registered: ${known(options.workflows)})`);
        return { ...common, kind: "step", handler: MISSING };
      }
      return { ...common, kind: "workflow", workflow: child };
    }
    case "if":
      return { ...common, kind: "if", condition: step.if!, then: step.then ?? [], else: step.else ?? [] };
    case "foreach":
      return {
        ...common,
        kind: "foreach",
        items: step.foreach!,
        ...(step.concurrency === undefined ? {} : { concurrency: step.concurrency }),
        body: step.do === undefined ? (undefined as unknown as GraphModel) : toModel(step.do as WorkflowSpec, `${step.id}.do`, [...at, "do"], options, issues),
      };
    case "while":
      return {
        ...common,
        kind: "while",
        condition: step.while!,
        max: step.max as number, // missing: the compiler reports it
        body: step.do === undefined ? (undefined as unknown as GraphModel) : toModel(step.do as WorkflowSpec, `${step.id}.do`, [...at, "do"], options, issues),
      };
    case "run": {
      const handler = options.handlers?.[step.run!];
      if (typeof handler !== "function") {
        problem("run", `handler "${step.run}" is not registered (registered: ${known(options.handlers)})`);
        return { ...common, kind: "step", handler: MISSING };
      }
      return { ...common, kind: "step", handler };
    }
    default:
      problem("run", 'does nothing: give it one of "run", "workflow", "if", "foreach" or "while"');
      return { ...common, kind: "step", handler: MISSING };
  }
}

function known(record: Readonly<Record<string, unknown>> | undefined): string {
  const names = Object.keys(record ?? {});
  return names.length === 0 ? "none" : names.join(", ");
}
