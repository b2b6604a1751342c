/**
 * Validation and compilation of a definition into the graph the scheduler walks: node indices,
 * dependents lists, in-degrees and compiled expressions, so a run never searches by id.
 */
import type { WorkflowRef } from "../../events/index.js";
import { stepRetryPolicy, type ControlHandlerFn, type ControlPolicy } from "../../control/index.js";
import type { Condition, ExpressionScope, GraphModel, NodeModel, RecoverMode, StepHandler, SubWorkflow, ValueSource } from "./definition-types.js";
import { compileExpression, isProblem, type CompiledExpression } from "./expression-compile.js";
import { WorkflowDefinitionError, type DefinitionIssue } from "./definition-errors.js";

type Path = readonly (string | number)[];

/** A node ready to schedule. */
export interface CompiledNode {
  readonly index: number;
  readonly id: string;
  readonly kind: NodeModel["kind"];
  /** Indices of the nodes it waits for (explicit needs and its if-branch). */
  readonly needs: readonly number[];
  readonly dependents: readonly number[];
  /** Whether its events carry no tag or key, so the engine builds them as one literal. */
  readonly bare: boolean;
  /** Whether it sits in an if-arm (so `branches` need checking before it runs). */
  readonly guarded: boolean;
  /** The if-nodes whose arm this node is in: it runs only if each took that arm. */
  readonly branches: readonly { readonly node: number; readonly arm: boolean }[];
  readonly when: CompiledExpression<boolean> | undefined;
  readonly input: CompiledExpression<unknown> | undefined;
  /** The step's own retry settings, as control's built-in step retry policy. */
  readonly retry: ControlPolicy<ControlHandlerFn> | undefined;
  readonly timeoutMs: number | undefined;
  readonly tag: string | undefined;
  readonly key: string | undefined;
  readonly handler: StepHandler<never, never> | undefined;
  readonly condition: CompiledExpression<boolean> | undefined;
  readonly items: CompiledExpression<unknown> | undefined;
  readonly concurrency: number;
  readonly max: number;
  readonly body: CompiledGraph | undefined;
  readonly workflow: SubWorkflow | undefined;
  /** For an if-node: whether it has an else arm (a false result then emits an `else` condition). */
  readonly hasElse: boolean;
  /** False: crash recovery must not run it again (`NodeOptions.idempotent`). */
  readonly idempotent: boolean;
}

/** A validated definition. */
export interface CompiledGraph {
  readonly name: string;
  readonly version: string | undefined;
  /** The `workflow` field of every event of this graph's runs: one object, shared by all of them. */
  readonly ref: WorkflowRef;
  readonly nodes: readonly CompiledNode[];
  readonly roots: readonly number[];
  readonly indegree: readonly number[];
  readonly vars: Readonly<Record<string, unknown>> | undefined;
  readonly output: CompiledExpression<unknown> | undefined;
  readonly concurrency: number;
  /** What a lease holder does with a run whose process died. */
  readonly recover: RecoverMode;
  readonly model: GraphModel;
}

const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Validates `model` and compiles it, or throws {@link WorkflowDefinitionError} listing every issue. */
export function compileGraph(model: GraphModel): CompiledGraph {
  const issues: DefinitionIssue[] = [];
  const graph = compileInto(model, [], issues);
  if (issues.length > 0) throw new WorkflowDefinitionError(model.name, issues);
  return graph;
}

function compileInto(model: GraphModel, basePath: Path, issues: DefinitionIssue[]): CompiledGraph {
  const nodes = model.nodes;
  const indexById = new Map<string, number>();
  nodes.forEach((node, i) => {
    const at = [...basePath, "steps", i, "id"];
    if (typeof node.id !== "string" || !ID_PATTERN.test(node.id)) {
      issues.push({ path: at, message: `step id ${JSON.stringify(node.id)} must match ${ID_PATTERN.source} (CEL reads it as steps.<id>)` });
    } else if (indexById.has(node.id)) {
      issues.push({ stepId: node.id, path: at, message: `duplicate step id "${node.id}" (first declared at /steps/${indexById.get(node.id)})` });
    } else indexById.set(node.id, i);
  });

  const needs: number[][] = nodes.map(() => []);
  const branches: { node: number; arm: boolean }[][] = nodes.map(() => []);
  const compiled = nodes.map((node, i) => compileNode(node, i, basePath, indexById, needs, branches, issues));

  const dependents: number[][] = nodes.map(() => []);
  needs.forEach((list, i) => {
    const unique = [...new Set(list)];
    needs[i] = unique;
    for (const need of unique) dependents[need]!.push(i);
  });
  const indegree = needs.map((list) => list.length);
  const cycle = findCycle(nodes.length, needs);
  if (cycle !== undefined) {
    const ids = cycle.map((i) => nodes[i]!.id);
    issues.push({
      stepId: ids[0],
      path: [...basePath, "steps", cycle[0]!, "needs"],
      message: `cycle: ${[...ids, ids[0]].map((id) => `"${id}"`).join(" → ")}`,
    });
  }

  if (cycle === undefined) checkStepReferences(model, needs, indexById, basePath, issues);

  let output: CompiledExpression<unknown> | undefined;
  if (model.output !== undefined) {
    output = expression(model.output, false, [...basePath, "output"], undefined, issues);
  }
  const concurrency = model.concurrency ?? Number.POSITIVE_INFINITY;
  if (!(concurrency >= 1)) issues.push({ path: [...basePath, "concurrency"], message: `concurrency must be at least 1, got ${String(model.concurrency)}` });
  const recover = model.recover ?? "fail";
  if (recover !== "resume" && recover !== "fail") issues.push({ path: [...basePath, "recover"], message: `recover must be "resume" or "fail", got ${JSON.stringify(model.recover)}` });

  // Fields a plain step reads on every run come first, so they share the object's first cache lines.
  const finished: CompiledNode[] = compiled.map((p, i) => ({
    index: p.index,
    id: p.id,
    kind: p.kind,
    guarded: branches[i]!.length > 0,
    bare: p.tag === undefined && p.key === undefined,
    handler: p.handler,
    when: p.when,
    input: p.input,
    timeoutMs: p.timeoutMs,
    tag: p.tag,
    key: p.key,
    retry: p.retry,
    dependents: dependents[i]!,
    needs: needs[i]!,
    branches: branches[i]!,
    condition: p.condition,
    items: p.items,
    concurrency: p.concurrency,
    max: p.max,
    body: p.body,
    workflow: p.workflow,
    hasElse: p.hasElse,
    idempotent: p.idempotent,
  }));
  return {
    name: model.name,
    version: model.version,
    ref: Object.freeze(model.version === undefined ? { name: model.name } : { name: model.name, version: model.version }),
    nodes: finished,
    roots: finished.filter((node) => node.needs.length === 0).map((node) => node.index),
    indegree,
    vars: model.vars,
    output,
    concurrency,
    recover,
    model,
  };
}

type PartialNode = Omit<CompiledNode, "needs" | "dependents" | "branches" | "guarded" | "bare">;

function compileNode(
  node: NodeModel,
  i: number,
  basePath: Path,
  indexById: ReadonlyMap<string, number>,
  needs: number[][],
  branches: { node: number; arm: boolean }[][],
  issues: DefinitionIssue[],
): PartialNode {
  const at = [...basePath, "steps", i];
  const stepId = typeof node.id === "string" ? node.id : undefined;
  const problem = (field: Path, message: string): void => {
    issues.push({ ...(stepId === undefined ? {} : { stepId }), path: [...at, ...field], message: `step "${stepId}": ${message}` });
  };
  (node.needs ?? []).forEach((need, n) => {
    const target = indexById.get(need);
    if (target === undefined) problem(["needs", n], `needs unknown step "${need}"`);
    else if (target === i) problem(["needs", n], "needs itself");
    else needs[i]!.push(target);
  });
  const when = node.when === undefined ? undefined : expression<boolean>(node.when, true, [...at, "when"], stepId, issues);
  const input = node.input === undefined ? undefined : expression(node.input, false, [...at, "input"], stepId, issues);
  if (node.timeoutMs !== undefined && !(node.timeoutMs > 0)) problem(["timeoutMs"], `timeoutMs must be positive, got ${node.timeoutMs}`);
  if (node.idempotent !== undefined && typeof node.idempotent !== "boolean") problem(["idempotent"], `idempotent must be true or false, got ${JSON.stringify(node.idempotent)}`);
  let retry: ControlPolicy<ControlHandlerFn> | undefined;
  if (node.retry !== undefined) {
    if (!(Number.isInteger(node.retry.attempts) && node.retry.attempts >= 1)) {
      problem(["retry", "attempts"], `retry.attempts must be an integer of at least 1, got ${String(node.retry.attempts)}`);
    } else {
      try {
        retry = stepRetryPolicy(node.id, node.retry);
      } catch (error) {
        problem(["retry"], error instanceof Error ? error.message : String(error));
      }
    }
  }

  let handler: StepHandler<never, never> | undefined;
  let condition: CompiledExpression<boolean> | undefined;
  let items: CompiledExpression<unknown> | undefined;
  let body: CompiledGraph | undefined;
  let workflow: SubWorkflow | undefined;
  let concurrency = Number.POSITIVE_INFINITY;
  let max = 0;
  switch (node.kind) {
    case "step":
      if (typeof node.handler !== "function") problem(["run"], "has no handler (a function to run)");
      else handler = node.handler;
      break;
    case "workflow":
      if (node.workflow === undefined || typeof node.workflow !== "object" || node.workflow.graph === undefined) {
        problem(["workflow"], "sub-workflow is not a built workflow");
      } else workflow = node.workflow;
      break;
    case "if": {
      condition = expression<boolean>(node.condition, true, [...at, "if"], stepId, issues);
      const arms: [readonly string[], boolean, string][] = [
        [node.then, true, "then"],
        [node.else, false, "else"],
      ];
      const seen = new Set<string>();
      for (const [ids, arm, field] of arms) {
        ids.forEach((id, n) => {
          const target = indexById.get(id);
          if (target === undefined) problem([field, n], `${field} names unknown step "${id}"`);
          else if (target === i) problem([field, n], `${field} names the if-step itself`);
          else if (seen.has(id)) problem([field, n], `step "${id}" is in both arms (or twice)`);
          else {
            seen.add(id);
            needs[target]!.push(i);
            branches[target]!.push({ node: i, arm });
          }
        });
      }
      break;
    }
    case "foreach":
      items = expression(node.items, false, [...at, "foreach"], stepId, issues);
      concurrency = node.concurrency ?? Number.POSITIVE_INFINITY;
      if (!(concurrency >= 1)) problem(["concurrency"], `concurrency must be at least 1, got ${String(node.concurrency)}`);
      body = compileBody(node.body, [...at, "do"], problem, issues);
      break;
    case "while":
      condition = expression<boolean>(node.condition, true, [...at, "while"], stepId, issues);
      max = node.max;
      if (!(Number.isInteger(max) && max >= 1)) {
        problem(["max"], `a while loop needs max, an integer of at least 1 (${node.max === undefined ? "none given" : `got ${String(node.max)}`})`);
      }
      body = compileBody(node.body, [...at, "do"], problem, issues);
      break;
    default: {
      const unknown = node as { kind?: unknown };
      problem(["kind"], `unknown node kind ${JSON.stringify(unknown.kind)}`);
    }
  }
  return {
    index: i,
    id: node.id,
    kind: node.kind,
    when,
    input,
    retry,
    timeoutMs: node.timeoutMs,
    tag: node.tag,
    key: node.key,
    handler,
    condition,
    items,
    concurrency,
    max,
    body,
    workflow,
    hasElse: node.kind === "if" && node.else.length > 0,
    idempotent: node.idempotent !== false,
  };
}

function compileBody(
  body: GraphModel | undefined,
  at: Path,
  problem: (field: Path, message: string) => void,
  issues: DefinitionIssue[],
): CompiledGraph | undefined {
  if (body === undefined || !Array.isArray(body.nodes)) {
    problem(["do"], "a loop needs a body (`do`: a workflow)");
    return undefined;
  }
  return compileInto(body, at, issues);
}

function expression<T>(
  source: Condition | ValueSource,
  expectBoolean: boolean,
  at: Path,
  stepId: string | undefined,
  issues: DefinitionIssue[],
): CompiledExpression<T> | undefined {
  const result = compileExpression(source as string | ((scope: ExpressionScope) => T), expectBoolean);
  if (!isProblem(result)) return result;
  const field = String(at[at.length - 1]);
  const who = stepId === undefined ? field : `step "${stepId}": ${field}`;
  issues.push({ ...(stepId === undefined ? {} : { stepId }), path: at, message: `${who}: ${result.message}` });
  return undefined;
}

/** A cycle as node indices in dependency order, or undefined. Iterative DFS: deep chains are fine. */
function findCycle(count: number, needs: readonly (readonly number[])[]): number[] | undefined {
  const state = new Uint8Array(count); // 0 new, 1 on stack, 2 done
  const parent = new Int32Array(count).fill(-1);
  for (let start = 0; start < count; start++) {
    if (state[start] !== 0) continue;
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node, next] = top;
      const list = needs[node]!;
      if (next < list.length) {
        top[1]++;
        const dep = list[next]!;
        if (state[dep] === 0) {
          state[dep] = 1;
          parent[dep] = node;
          stack.push([dep, 0]);
        } else if (state[dep] === 1) {
          // node needs dep and dep is on the stack: walk parents from node back to dep.
          const cycle = [node];
          let at = node;
          while (at !== dep) {
            at = parent[at]!;
            cycle.push(at);
          }
          return cycle; // each entry runs before the next: reads as the flow of the cycle
        }
      } else {
        state[node] = 2;
        stack.pop();
      }
    }
  }
  return undefined;
}

/** `steps.<id>` read by a CEL expression (ids with a dash cannot be read with a dot, so are not). */
const STEP_REFERENCE = /\bsteps\.([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * A CEL expression that reads `steps.x` must run after `x`: `x` has to be among the node's needs,
 * directly or through them. Otherwise it would read a step that has not run yet (or never will).
 */
function checkStepReferences(
  model: GraphModel,
  needs: readonly (readonly number[])[],
  indexById: ReadonlyMap<string, number>,
  basePath: Path,
  issues: DefinitionIssue[],
): void {
  const fields = ["when", "input", "condition", "items"] as const;
  const names: Record<(typeof fields)[number], string> = { when: "when", input: "input", condition: "", items: "foreach" };
  model.nodes.forEach((node, i) => {
    for (const field of fields) {
      const source = (node as unknown as Record<string, unknown>)[field];
      if (typeof source !== "string") continue;
      const label = field === "condition" ? (node.kind === "while" ? "while" : "if") : names[field];
      const at = [...basePath, "steps", i, label];
      // An expression already reported as invalid is not read for references too.
      if (issues.some((issue) => issue.path.length === at.length && issue.path.every((segment, k) => segment === at[k]))) continue;
      for (const match of source.matchAll(STEP_REFERENCE)) {
        const id = match[1]!;
        const target = indexById.get(id);
        if (target === undefined) {
          issues.push({ stepId: node.id, path: at, message: `step "${node.id}": ${label} reads steps.${id}, an unknown step` });
        } else if (target === i || !isAncestor(target, i, needs)) {
          issues.push({ stepId: node.id, path: at, message: `step "${node.id}": ${label} reads steps.${id} but "${id}" is not among the steps it needs (add it to needs)` });
        }
      }
    }
  });
}

function isAncestor(target: number, of: number, needs: readonly (readonly number[])[]): boolean {
  const seen = new Set<number>();
  const stack = [...needs[of]!];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (next === target) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...needs[next]!);
  }
  return false;
}
