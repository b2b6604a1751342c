#!/usr/bin/env node
/**
 * @module runtrail/cli
 * The `runtrail` command: `token`, `serve`.
 */
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

if (import.meta.url === `file://${process.argv[1]}`) {
  program()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
