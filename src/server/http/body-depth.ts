/**
 * The depth bound of request bodies, beside Fastify's size bound: a 16 KB body can nest 8,000
 * arrays deep, and every recursive walk after it (validation, redaction, `JSON.stringify`) would
 * then run out of stack. The body is measured once, iteratively, before validation; too deep is a
 * 400 naming the limit.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./error-responses.js";

/** The default bound: a body `{ "input": … }` nested at most this many levels. */
export const DEFAULT_MAX_BODY_DEPTH = 32;

/**
 * Whether `value` nests arrays and objects deeper than `maxDepth` (a scalar has depth 0, `{}` and
 * `[1]` depth 1). Iterative, and it stops at the first value past the bound.
 *
 * @example
 * nestsDeeperThan({ input: [[1]] }, 2) // true
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const current = stack.pop();
    const depth = depths.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth + 1 > maxDepth) return true;
    const children = Array.isArray(current) ? (current as unknown[]) : Object.values(current);
    for (const child of children) {
      if (typeof child !== "object" || child === null) continue;
      stack.push(child);
      depths.push(depth + 1);
    }
  }
  return false;
}

/**
 * A `preValidation` hook that answers 400 to a body nested deeper than `maxDepth`.
 *
 * @example
 * app.addHook("preValidation", bodyDepthGuard(32));
 */
export function bodyDepthGuard(maxDepth: number): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    if (!nestsDeeperThan(request.body, maxDepth)) return undefined;
    return sendError(reply, 400, "bad_request", `the body is nested deeper than ${maxDepth} levels, the server's limit (maxBodyDepth)`, "body");
  };
}
