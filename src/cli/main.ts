#!/usr/bin/env node
/**
 * @module runtrail/cli
 * The `runtrail` command: `token`, `serve`.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { serveCommand } from "./serve-command.js";
import { tokenCommand } from "./token-command.js";

/**
 * The program with every command.
 *
 * @example
 * await program().parseAsync(process.argv);
 */
export function program(): Command {
  return new Command("runtrail").description("a workflow runtime whose every run leaves a trail of events").addCommand(tokenCommand()).addCommand(serveCommand());
}

/**
 * Whether this module is the process's entry point. npm starts a bin through a symlink
 * (`node_modules/.bin/runtrail`) while `import.meta.url` is the real path, percent-encoded:
 * compare real file paths, not URL strings.
 */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  program()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
