/**
 * `--progress auto|tty|plain|json|quiet`: how a command shows events. `auto` is the redrawn
 * window when stdout is a terminal and `CI` is unset, else one plain line per event.
 */
import { InvalidArgumentError } from "commander";

export const PROGRESS_MODES = ["auto", "tty", "plain", "json", "quiet"] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];
export type ResolvedMode = Exclude<ProgressMode, "auto">;

/**
 * The commander parser of `--progress`.
 *
 * @example
 * new Command("run").option("--progress <mode>", "…", parseProgressMode, "auto")
 */
export function parseProgressMode(value: string): ProgressMode {
  if ((PROGRESS_MODES as readonly string[]).includes(value)) return value as ProgressMode;
  throw new InvalidArgumentError(`must be one of ${PROGRESS_MODES.join(", ")}.`);
}

/**
 * The mode `auto` stands for here, and whether colours are on (`NO_COLOR` turns them off,
 * `FORCE_COLOR` on; plain and json output never has any).
 *
 * @example
 * resolveMode("auto", { isTTY: process.stdout.isTTY, env: process.env }) // "tty" in a terminal
 */
export function resolveMode(mode: ProgressMode, options: { readonly json?: boolean; readonly isTTY: boolean | undefined; readonly env: NodeJS.ProcessEnv }): ResolvedMode {
  if (options.json === true) return "json";
  if (mode !== "auto") return mode;
  const ci = options.env.CI !== undefined && options.env.CI !== "" && options.env.CI !== "0" && options.env.CI !== "false";
  return options.isTTY === true && !ci && options.env.TERM !== "dumb" ? "tty" : "plain";
}

/** Whether the tty view uses colours. */
export function colorsOn(env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return true;
}
