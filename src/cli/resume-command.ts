/**
 * `runtrail resume RUN [--reason TEXT]`: ends a pause through the server's
 * `POST /api/runs/:runId/resume`. A paused run no process holds resumes from its trail on a
 * server that has its workflow (`serve --workflows`). A run that waits for a signal goes on with
 * `runtrail signal`, not here: the server's refusal names the signal.
 */
import { Command } from "commander";
import { postToServer, reasonBody, runActionOptions, type RunActionFlags } from "./server-post.js";

/**
 * The `resume` command.
 *
 * @example
 * await resumeCommand().parseAsync(["0b7c…"], { from: "user" });
 */
export function resumeCommand(): Command {
  return runActionOptions(new Command("resume").description("resume a suspended run (from its trail if no process holds it)"))
    .argument("<runId>", "the suspended run")
    .addHelpText("after", "\nA run that waits for a signal goes on with `runtrail signal <runId> <name>` instead.\n\nExamples:\n  $ runtrail resume 0b7c…\n  $ runtrail resume 0b7c… --reason \"quota reset\" --url http://127.0.0.1:8080 --token $RUNTRAIL_TOKEN")
    .action(async (runId: string, flags: RunActionFlags) => {
      const answer = await postToServer(flags, `/api/runs/${encodeURIComponent(runId)}/resume`, reasonBody(flags), `resume run ${runId}`);
      console.log(`run ${runId} resumed${answer.resumedFromTrail === true ? " (from its trail)" : ""}`);
    });
}
