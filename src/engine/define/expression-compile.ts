/**
 * Expressions: CEL strings compiled once at build time (never `eval`), or TypeScript functions.
 * A CEL expression that does not parse, names an unknown variable or cannot type-check is a
 * definition error with its column, caught before any run starts.
 */
import { Environment } from "@marcbachmann/cel-js";
import type { ExpressionScope } from "./definition-types.js";

/** A compiled condition or value. `source` is what `condition.evaluated` reports as `expression`. */
export interface CompiledExpression<T> {
  readonly source: string;
  readonly isCel: boolean;
  /** The step outputs a CEL expression names (`steps.x`, `steps["x"]`); unknown for a function. */
  readonly stepRefs?: readonly string[];
  evaluate(scope: ExpressionScope): T;
}

/** The step ids a CEL expression reads, so `condition.evaluated` records those outputs and no others. */
function stepReferences(source: string): string[] {
  const ids = new Set<string>();
  for (const match of source.matchAll(/\bsteps\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)|\bsteps\s*\[\s*(["'])(.*?)\2\s*\]/g)) {
    ids.add(match[1] ?? match[3]!);
  }
  return [...ids];
}

/** The variables an expression may name; all dynamic, since inputs and outputs are any JSON. */
const SCOPE_VARIABLES = ["input", "steps", "vars", "item", "index"] as const;

let environment: Environment | undefined;
function celEnvironment(): Environment {
  if (environment === undefined) {
    let env = new Environment({ homogeneousAggregateLiterals: false });
    for (const name of SCOPE_VARIABLES) env = env.registerVariable(name, "dyn");
    environment = env;
  }
  return environment;
}

/** Why an expression was rejected: message and 0-based column in the expression text. */
export interface ExpressionProblem {
  readonly message: string;
  readonly column?: number;
}

interface CelErrorLike {
  readonly summary?: string;
  readonly message: string;
  readonly range?: { readonly start: number };
}

function describe(error: unknown, source: string): ExpressionProblem {
  const cel = error as CelErrorLike;
  const summary = cel.summary ?? (error instanceof Error ? error.message.split("\n")[0] : String(error));
  const column = cel.range?.start;
  const at = column === undefined ? "" : ` at column ${column + 1}`;
  return { message: `bad expression ${JSON.stringify(source)}: ${summary}${at}`, ...(column === undefined ? {} : { column }) };
}

/** CEL numbers: integers come back as BigInt; the trail is JSON, so they become numbers. */
function toJson(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.some((v) => typeof v === "bigint" || typeof v === "object") ? value.map(toJson) : value;
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = toJson(v);
    return out;
  }
  return value;
}

/**
 * Compiles a CEL string or wraps a function. `expectBoolean` rejects CEL whose type is known
 * and is not `bool` (a `dyn` result is checked when evaluated).
 */
export function compileExpression<T>(
  source: string | ((scope: ExpressionScope) => T),
  expectBoolean: boolean,
): CompiledExpression<T> | ExpressionProblem {
  if (typeof source === "function") {
    return { source: source.name || "function", isCel: false, evaluate: source };
  }
  if (typeof source !== "string" || source.trim() === "") {
    return { message: `expected a CEL expression string or a function, got ${JSON.stringify(source) ?? typeof source}` };
  }
  const env = celEnvironment();
  const checked = env.check(source) as { valid: boolean; type?: string; error?: unknown };
  if (!checked.valid) return describe(checked.error, source);
  if (expectBoolean && checked.type !== undefined && checked.type !== "bool" && checked.type !== "dyn") {
    return { message: `bad expression ${JSON.stringify(source)}: a condition must be bool, this is ${checked.type}` };
  }
  let program: (scope: ExpressionScope) => unknown;
  try {
    const parsed = env.parse(source);
    program = (scope) => parsed(scope as unknown as Record<string, unknown>);
  } catch (error) {
    return describe(error, source);
  }
  return {
    source,
    isCel: true,
    stepRefs: stepReferences(source),
    evaluate(scope) {
      const value = toJson(program(scope));
      if (expectBoolean && typeof value !== "boolean") {
        throw new TypeError(`condition ${JSON.stringify(source)} gave ${typeof value}, not a boolean`);
      }
      return value as T;
    },
  };
}

/** Whether compileExpression failed. */
export function isProblem<T>(value: CompiledExpression<T> | ExpressionProblem): value is ExpressionProblem {
  return !("evaluate" in value);
}
