/**
 * Reading a token file: `{ "version": 1, "tokens": [TokenRecord, …] }`. A file that is not JSON
 * is refused with its line and column, one that is JSON of the wrong shape with the path of the
 * first wrong value (`tokens[2].hash`): its owner can go straight to the fault.
 */
import { jsonSyntaxError } from "./json-syntax.js";
import type { TokenRecord } from "./token-store.js";

/**
 * A token file that cannot be read or parsed: the server refuses to start on it, and a running
 * server stops on it rather than answer every request with an error.
 */
export class TokenFileError extends Error {
  override readonly name = "TokenFileError";
  constructor(
    readonly file: string,
    /** `line:column` of a syntax error, or the JSON path of a wrong value (`tokens[2].hash`). */
    readonly position: string | undefined,
    readonly reason: string,
  ) {
    super(`token file ${file}${position === undefined ? "" : `:${position}`}: ${reason}`);
  }
}

const HASH = /^[0-9a-f]{64}$/;

/** What is wrong with a record, as `[field, reason]`, or undefined. */
function recordFault(value: unknown): readonly [string, string] | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["", "must be an object"];
  const r = value as Record<string, unknown>;
  if (typeof r.id !== "string" || r.id === "") return [".id", "must be a non-empty string"];
  if (typeof r.accountId !== "string" || r.accountId === "") return [".accountId", "must be a non-empty string"];
  if (typeof r.readOnly !== "boolean") return [".readOnly", "must be true or false"];
  if (typeof r.hash !== "string" || !HASH.test(r.hash)) return [".hash", "must be the token's SHA-256 as 64 lowercase hex digits"];
  if (typeof r.createdAt !== "number") return [".createdAt", "must be a number (epoch ms)"];
  if (r.label !== undefined && typeof r.label !== "string") return [".label", "must be a string"];
  return undefined;
}

/**
 * The records of a token file's text; throws a {@link TokenFileError} naming the file and where.
 *
 * @example
 * parseTokenFile(".runtrail/tokens.json", '{"version":1,"tokens":[]}'); // []
 */
export function parseTokenFile(file: string, text: string): TokenRecord[] {
  // An editor's byte order mark is not a fault of the content.
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    const syntax = jsonSyntaxError(body);
    if (syntax === undefined) throw new TokenFileError(file, undefined, `is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    throw new TokenFileError(file, `${syntax.line}:${syntax.column}`, `is not valid JSON: ${syntax.reason}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new TokenFileError(file, "$", 'must be an object { "version": 1, "tokens": [...] }');
  const { version, tokens } = parsed as { version?: unknown; tokens?: unknown };
  if (version !== undefined && version !== 1) throw new TokenFileError(file, "version", `is ${JSON.stringify(version)}; this server reads version 1`);
  if (!Array.isArray(tokens)) throw new TokenFileError(file, "tokens", "must be an array of token records");
  const ids = new Set<string>();
  tokens.forEach((record: unknown, index) => {
    const fault = recordFault(record);
    if (fault !== undefined) throw new TokenFileError(file, `tokens[${index}]${fault[0]}`, fault[1]);
    const { id } = record as TokenRecord;
    if (ids.has(id)) throw new TokenFileError(file, `tokens[${index}].id`, `"${id}" appears twice`);
    ids.add(id);
  });
  return tokens as TokenRecord[];
}
