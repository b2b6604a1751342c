/**
 * Subjects: `<prefix>.<account>.<workflow>.<run>.<type…>`, each name one NATS token, the type's
 * dotted parts one token each (so `step.*` is the subject filter `….step.>`).
 *
 * Token encoding: the characters `A-Z a-z 0-9 -` stand for themselves; every other byte of the
 * name's UTF-8 (`_` included) is `_` and two upper-case hex digits (`.` is `_2E`, ` ` is `_20`,
 * `é` is `_C3_A9`); the empty name is `_` alone (no other encoding ends in a lone `_`). So every
 * name is exactly one token of `[A-Za-z0-9_-]`: a dot, a space, `*`, `>` or an empty id never
 * changes the subject's shape, and the encoding is reversible ({@link decodeToken}).
 */
import type { EventFilter } from "../../bus/index.js";
import type { RuntrailEvent } from "../../events/index.js";

const PLAIN = /^[A-Za-z0-9-]+$/;
const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => `_${i.toString(16).toUpperCase().padStart(2, "0")}`);

/**
 * One name as one subject token.
 *
 * @example
 * encodeToken("acme corp.eu"); // "acme_20corp_2Eeu"
 */
export function encodeToken(name: string): string {
  if (name === "") return "_";
  if (PLAIN.test(name)) return name;
  let out = "";
  for (const ch of name) {
    if (/[A-Za-z0-9-]/.test(ch)) out += ch;
    else for (const byte of encoder.encode(ch)) out += HEX[byte]!;
  }
  return out;
}

/**
 * The name a token encodes; a clear error for a token this encoding never makes.
 *
 * @example
 * decodeToken("acme_20corp_2Eeu"); // "acme corp.eu"
 */
export function decodeToken(token: string): string {
  if (token === "_") return "";
  if (!/^(?:[A-Za-z0-9-]|_[0-9A-F]{2})+$/.test(token)) throw new RangeError(`"${token}" is not a subject token made by encodeToken`);
  if (!token.includes("_")) return token;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === "_") {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(token.charCodeAt(i));
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
}

/** Checks a subject prefix (`runtrail.ev`): dot-separated tokens, no wildcard, no space. */
export function checkPrefix(prefix: string, what = "subject prefix"): string {
  if (!/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/.test(prefix)) {
    throw new RangeError(`invalid ${what} "${prefix}": use dot-separated tokens of [A-Za-z0-9_-] (no wildcard, no space)`);
  }
  return prefix;
}

/**
 * The subject an event is published to.
 *
 * @example
 * eventSubject("runtrail.ev", event); // "runtrail.ev.acme.etl.run-1.step.completed"
 */
export function eventSubject(prefix: string, event: Pick<RuntrailEvent, "accountId" | "workflow" | "runId" | "type">): string {
  let subject = `${prefix}.${encodeToken(event.accountId)}.${encodeToken(event.workflow.name)}.${encodeToken(event.runId)}`;
  for (const part of event.type.split(".")) subject += `.${encodeToken(part)}`;
  return subject;
}

const one = (value: string | readonly string[] | undefined): string | undefined =>
  typeof value === "string" ? value : value?.length === 1 ? value[0] : undefined;

/**
 * The narrowest single subject filter (NATS 2.9 has one filter per consumer) that holds every
 * event `filter` matches; the caller still applies `filter` to what arrives. A single account,
 * workflow or run becomes its token; a single exact type its tokens, a single `family.*` glob its
 * family's tokens and `>`; anything else a wildcard.
 *
 * @example
 * subjectFilter("runtrail.ev", { accountId: "acme", type: "step.*" }); // "runtrail.ev.acme.*.*.step.>"
 */
export function subjectFilter(prefix: string, filter: EventFilter = {}): string {
  const token = (value: string | undefined): string => (value === undefined ? "*" : encodeToken(value));
  const head = `${prefix}.${token(one(filter.accountId))}.${token(one(filter.workflow))}.${token(one(filter.runId))}`;
  const type = one(filter.type as string | readonly string[] | undefined);
  if (type === undefined || type === "*") return `${head}.>`;
  const star = type.indexOf("*");
  if (star === -1) return `${head}.${type.split(".").map(encodeToken).join(".")}`;
  // Only a glob that ends in ".*" with no other star maps to tokens; `x*` or `a.*.b` match inside a token.
  if (star === type.length - 1 && type.endsWith(".*") && type.length > 2) {
    return `${head}.${type.slice(0, -2).split(".").map(encodeToken).join(".")}.>`;
  }
  return `${head}.>`;
}
