#!/usr/bin/env node
/**
 * @module runtrail/cli
 * The `runtrail` command: `run`, `tail`, `runs`, `events`, `stats`, `replay`, `serve`, `signal`,
 * `suspend`, `resume`, `token`, `demo`, and across machines on NATS `worker`, `collect`, `start`. Exit codes: 0 done; 1 the command could not do what was asked; 2 the run it ran or
 * followed failed or was cancelled.
 */
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { CliError, EXIT_ERROR } from "./cli-errors.js";
import { collectCommand } from "./collect-command.js";
import { demoCommand } from "./demo-command.js";
import { eventsCommand } from "./events-command.js";
import { replayCommand } from "./replay-command.js";
import { runCommand } from "./run-command.js";
import { runsCommand } from "./runs-command.js";
import { serveCommand } from "./serve-command.js";
import { signalCommand } from "./signal-command.js";
import { startCommand } from "./start-command.js";
import { resumeCommand } from "./resume-command.js";
import { suspendCommand } from "./suspend-command.js";
import { statsCommand } from "./stats-command.js";
import { tailCommand } from "./tail-command.js";
import { tokenCommand } from "./token-command.js";
import { workerCommand } from "./worker-command.js";

/** The package's version: `src/cli` and `dist/cli` are both two folders below package.json. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * The program with every command.
 *
 * @example
 * await program().parseAsync(process.argv);
 */
export function program(): Command {
  return new Command("runtrail")
    .description("a workflow runtime whose every run leaves a trail of events")
    .version(version(), "-V, --version", "print the version")
    .showSuggestionAfterError()
    .addCommand(runCommand())
    .addCommand(tailCommand())
    .addCommand(runsCommand())
    .addCommand(eventsCommand())
    .addCommand(statsCommand())
    .addCommand(replayCommand())
    .addCommand(serveCommand())
    .addCommand(workerCommand())
    .addCommand(collectCommand())
    .addCommand(startCommand())
    .addCommand(signalCommand())
    .addCommand(suspendCommand())
    .addCommand(resumeCommand())
    .addCommand(tokenCommand())
    .addCommand(demoCommand())
    .addHelpText("after", "\nExamples:\n  $ runtrail demo\n  $ runtrail run examples/order-spec.yaml\n  $ runtrail runs --status failed\n  $ runtrail tail --all --url http://127.0.0.1:8080");
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

/**
 * Runs the command line and exits with its code on error: what `bin/runtrail.js` (the installed
 * `runtrail` command) and `node dist/cli/main.js` both call.
 *
 * @example
 * await main(process.argv);
 */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await program().parseAsync([...argv]);
  } catch (error) {
    const code = error instanceof CliError ? error.exitCode : EXIT_ERROR;
    const message = error instanceof Error ? error.message : String(error);
    if (message !== "") console.error(message);
    process.exit(code);
  }
}

if (isEntryPoint()) await main(process.argv);
