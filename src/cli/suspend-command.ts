/**
 * `runtrail suspend RUN [--reason TEXT]`: pauses a run a server executes (no new step starts;
 * running ones finish) through the server's `POST /api/runs/:runId/suspend`; `runtrail resume`
 * lets it go on.
 */
import { Command } from "commander";
import { postToServer, reasonBody, runActionOptions, type RunActionFlags } from "./server-post.js";

/**
 * The `suspend` command.
 *
 * @example
 * await suspendCommand().parseAsync(["0b7c…", "--reason", "quota"], { from: "user" });
 */
export function suspendCommand(): Command {
  return runActionOptions(new Command("suspend").description("suspend a run a server executes: no new step starts until `runtrail resume`"))
    .argument("<runId>", "the run to suspend")
    .addHelpText("after", "\nExamples:\n  $ runtrail suspend 0b7c… --reason \"waiting for the quota to reset\"\n  $ runtrail suspend 0b7c… --url http://127.0.0.1:8080 --token $RUNTRAIL_TOKEN")
    .action(async (runId: string, flags: RunActionFlags) => {
      await postToServer(flags, `/api/runs/${encodeURIComponent(runId)}/suspend`, reasonBody(flags), `suspend run ${runId}`);
      console.log(`run ${runId} suspended: no new step starts until \`runtrail resume ${runId}\``);
    });
}
