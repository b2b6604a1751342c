/**
 * Where a JSON text first goes wrong. V8's `JSON.parse` errors give a position for some mistakes
 * and none for others (`Unexpected token '}', "…" is not valid JSON`), and quote the text itself;
 * a file's owner needs a line and a column. The scan is iterative, so no nesting exhausts the stack.
 */

/** The first syntax error of a JSON text: its offset (0-based) and what was expected there. */
export interface JsonSyntaxError {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /["\\/bfnrt]|u[0-9a-fA-F]{4}/y;
const LITERALS = ["true", "false", "null"] as const;

/** Line and column (1-based) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/**
 * The first syntax error of `text`, or undefined when it is valid JSON.
 *
 * @example
 * jsonSyntaxError('{"a":\n}'); // { offset: 6, line: 2, column: 1, reason: "expected a value" }
 */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const stack: string[] = [];
  const fail = (reason: string): JsonSyntaxError => ({ offset: i, ...lineColumn(text, i), reason: i >= text.length ? `${reason}, found the end of the file` : reason });
  const skipSpace = (): void => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  /** Reads a string at `i` (its opening quote); an error, or undefined once past its closing quote. */
  const string = (): JsonSyntaxError | undefined => {
    i++;
    for (;;) {
      if (i >= text.length) return fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return fail("a control character (a raw line break?) inside a string");
      if (c === 0x5c) {
        ESCAPE.lastIndex = i + 1;
        const escape = ESCAPE.exec(text);
        if (escape === null) return fail("an invalid escape in a string");
        i += 1 + escape[0].length;
      } else i++;
    }
  };
  let state: "value" | "key" | "after" = "value";
  for (;;) {
    skipSpace();
    if (state === "key") {
      if (text[i] !== '"') return fail("expected a property name in double quotes");
      const bad = string();
      if (bad !== undefined) return bad;
      skipSpace();
      if (text[i] !== ":") return fail("expected ':' after the property name");
      i++;
      state = "value";
      continue;
    }
    if (state === "value") {
      const c = text[i];
      if (c === "{" || c === "[") {
        i++;
        skipSpace();
        if (text[i] === (c === "{" ? "}" : "]")) i++;
        else {
          stack.push(c);
          state = c === "{" ? "key" : "value";
          continue;
        }
      } else if (c === '"') {
        const bad = string();
        if (bad !== undefined) return bad;
      } else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
        NUMBER.lastIndex = i;
        const number = NUMBER.exec(text);
        if (number === null) return fail("an invalid number");
        i += number[0].length;
      } else {
        const literal = LITERALS.find((word) => text.startsWith(word, i));
        if (literal === undefined) return fail("expected a value (an object, array, string, number, true, false or null)");
        i += literal.length;
      }
      state = "after";
      continue;
    }
    const open = stack.at(-1);
    if (open === undefined) return i < text.length ? fail("unexpected text after the JSON value") : undefined;
    const close = open === "{" ? "}" : "]";
    if (text[i] === ",") {
      i++;
      state = open === "{" ? "key" : "value";
    } else if (text[i] === close) {
      i++;
      stack.pop();
    } else return fail(`expected ',' or '${close}'`);
  }
}
