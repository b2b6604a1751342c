/**
 * Parsing of the values flags take: `--input JSON|@file`, integers within bounds, numbers, lists.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { InvalidArgumentError } from "commander";
import { typePatternProblem } from "../bus/index.js";
import { CliError } from "./cli-errors.js";

/**
 * `--input`: JSON text, or `@path` to a JSON file. Undefined when absent.
 *
 * @example
 * parseInput('{"orders": []}') // { orders: [] }
 */
export function parseInput(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  let text = value;
  let where = "--input";
  if (value.startsWith("@")) {
    const file = resolve(value.slice(1));
    if (!existsSync(file)) throw new CliError(`--input ${value}: no such file ${file}`);
    text = readFileSync(file, "utf8");
    where = `--input ${file}`;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${where}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * A commander parser for an integer option within bounds.
 *
 * @example
 * new Command("serve").option("--port <port>", "port", integerIn(0, 65_535, "the port"), 8080)
 */
export function integerIn(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}.`);
    return n;
  };
}

/** A commander parser for a positive number (`--speed`). */
export function positiveNumber(what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number.`);
    return n;
  };
}

/** A commander parser for a comma-separated list (`--types step.*,run.failed`). */
export function commaList(value: string, previous: readonly string[] = []): string[] {
  const items = value.split(",").map((item) => item.trim()).filter((item) => item !== "");
  if (items.length === 0) throw new InvalidArgumentError("must name at least one value.");
  return [...previous, ...items];
}

/**
 * A commander parser for `--types`: a comma-separated list of event types or globs, each checked
 * as the server checks `?types=` (a pattern that selects no type is refused, naming it).
 *
 * @example
 * new Command("events").option("--types <globs>", "only these types", typeList)
 */
export function typeList(value: string, previous: readonly string[] = []): string[] {
  const types = commaList(value, previous);
  for (const type of types) {
    const problem = typePatternProblem(type);
    if (problem !== undefined) throw new InvalidArgumentError(`"${type}" ${problem}.`);
  }
  return types;
}
