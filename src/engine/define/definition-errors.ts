/**
 * The error a definition throws when it is built or loaded: every issue found, each with where it
 * is (path, line) and what is wrong, so one message is enough to fix the spec.
 */

/**
 * One thing wrong with a definition: where it is (a JSON-pointer-like path) and what is wrong.
 * @example
 * { stepId: "b", path: ["steps", 1, "needs", 0], message: 'step "b": needs unknown step "zz"', line: 7 }
 */
export interface DefinitionIssue {
  /** The step concerned, when there is one. */
  readonly stepId?: string;
  /** Where in the definition document, e.g. `["steps", 2, "needs", 0]`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** 1-based line in the source file (YAML/JSON specs only). */
  readonly line?: number;
}

/**
 * Renders a path as a JSON pointer: `/steps/2/needs/0`.
 * @example
 * pointer(["steps", 2, "needs", 0]) // "/steps/2/needs/0"
 */
export function pointer(path: readonly (string | number)[]): string {
  return path.length === 0 ? "/" : path.map((segment) => "/" + String(segment)).join("");
}

/**
 * A definition that cannot run: unknown step in `needs`, a cycle, a duplicate id, a missing
 * handler, a bad expression, a wrong type. Every issue found is listed, not only the first.
 *
 * @example
 * try { workflow("w").step("a", f, { needs: ["zz"] }).build() }
 * catch (e) { if (e instanceof WorkflowDefinitionError) console.log(e.issues[0].message) }
 */
export class WorkflowDefinitionError extends Error {
  override readonly name = "WorkflowDefinitionError";
  constructor(
    readonly workflow: string,
    readonly issues: readonly DefinitionIssue[],
    /** The file the definition came from, when it came from one. */
    readonly file?: string,
  ) {
    const where = file === undefined ? `workflow "${workflow}"` : `${file} (workflow "${workflow}")`;
    const lines = issues.map((issue) => {
      const line = issue.line === undefined ? "" : ` (line ${issue.line})`;
      return `  ${pointer(issue.path)}${line}: ${issue.message}`;
    });
    super(`${where} is invalid:\n${lines.join("\n")}`);
  }
}
