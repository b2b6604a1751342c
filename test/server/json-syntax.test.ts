/**
 * The JSON scan that puts a line and column on a token file's syntax error: it agrees with
 * `JSON.parse` on what is valid (hand-picked texts and thousands of random mutations of a token
 * file), points at the first wrong character, and no nesting exhausts it.
 */
import { describe, expect, it } from "vitest";
import { jsonSyntaxError, lineColumn } from "../../src/server/auth/json-syntax.js";

const TOKEN_FILE = JSON.stringify(
  { version: 1, tokens: [{ id: "abcdefabcdef", accountId: "acme", readOnly: false, hash: "0".repeat(64), createdAt: 1_700_000_000_000, label: 'ci "main"\n\u00e9' }] },
  null,
  2,
);

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe("jsonSyntaxError", () => {
  it("finds nothing wrong in valid JSON", () => {
    for (const text of [TOKEN_FILE, "0", "-1.5e+3", '"\\u00e9\\n"', "[]", "{}", " [ 1 , [ ] , { } ] ", "true", "null", '{"a":{"b":[false]}}']) {
      expect(jsonSyntaxError(text), text).toBeUndefined();
    }
  });

  it.each([
    ['{"a":}', 0, 5, "expected a value (an object, array, string, number, true, false or null)"],
    ['{"a":1', 0, 6, "expected ',' or '}', found the end of the file"],
    ['{"a":1,}', 0, 7, "expected a property name in double quotes"],
    ["[1,]", 0, 3, "expected a value (an object, array, string, number, true, false or null)"],
    ['{"a" 1}', 0, 5, "expected ':' after the property name"],
    ['{"a":1}x', 0, 7, "unexpected text after the JSON value"],
    ['{\n  "a": "line\nbreak"}', 1, 12, "a control character (a raw line break?) inside a string"],
    ['["\\x"]', 0, 2, "an invalid escape in a string"],
    ["[01]", 0, 2, "expected ',' or ']'"],
    ["[-]", 0, 1, "an invalid number"],
    ["", 0, 0, "expected a value (an object, array, string, number, true, false or null), found the end of the file"],
    ["{'a': 1}", 0, 1, "expected a property name in double quotes"],
  ])("%j: %i line breaks in, at offset %i of its line", (text, lineBreaks, offsetInLine, reason) => {
    const error = jsonSyntaxError(text);
    expect(error?.reason).toBe(reason);
    expect(error?.line).toBe(lineBreaks + 1);
    const start = text.split("\n").slice(0, lineBreaks).join("\n").length + (lineBreaks > 0 ? 1 : 0);
    expect(error?.offset).toBe(start + offsetInLine);
    expect(error?.column).toBe(offsetInLine + 1);
  });

  it("agrees with JSON.parse on random mutations of a token file", () => {
    let seed = 42;
    const random = (n: number): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n);
    const alphabet = ' \n{}[]",:0123456789-.eE+truefalsn\\ux';
    for (let trial = 0; trial < 3_000; trial++) {
      const at = random(TOKEN_FILE.length);
      const mutated = random(2) === 0 ? TOKEN_FILE.slice(0, at) + alphabet[random(alphabet.length)]! + TOKEN_FILE.slice(at) : TOKEN_FILE.slice(0, at) + TOKEN_FILE.slice(at + 1);
      expect(jsonSyntaxError(mutated) === undefined, mutated).toBe(parses(mutated));
    }
  });

  it("scans any nesting without exhausting the stack", () => {
    const deep = "[".repeat(200_000) + "]".repeat(200_000);
    expect(jsonSyntaxError(deep)).toBeUndefined();
    expect(jsonSyntaxError("[".repeat(200_000))?.reason).toBe("expected a value (an object, array, string, number, true, false or null), found the end of the file");
  });

  it("counts lines and columns from 1", () => {
    expect(lineColumn("ab\ncd\nef", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn("ab\ncd\nef", 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn("ab\ncd\nef", 6)).toEqual({ line: 3, column: 1 });
  });
});
