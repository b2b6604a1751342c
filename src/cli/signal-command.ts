/**
 * `runtrail signal RUN NAME [--data JSON]`: delivers the signal a waiting step asked for
 * (`ctx.waitFor(NAME)`) through a server's `POST /api/runs/:runId/signals/:name`. The server
 * resumes the run from its trail when no process holds it (it needs `serve --workflows`); a
 * `serve --nats` queues it for a NATS worker, which resumes the run from its trail.
 */
import { Command } from "commander";
import { CliError } from "./cli-errors.js";

interface SignalFlags {
  readonly data?: string;
  readonly url: string;
  readonly token?: string;
}

/**
 * The `signal` command.
 *
 * @example
 * await signalCommand().parseAsync(["0b7c…", "approval", "--data", '{"approved":true}'], { from: "user" });
 */
export function signalCommand(): Command {
  return new Command("signal")
    .description("send the signal a waiting step asked for (ctx.waitFor), resuming its run")
    .argument("<runId>", "the run that waits")
    .argument("<name>", "the signal's name, as the step's waitFor gave it")
    .option("--data <json>", "the payload, as JSON (checked against the wait's schema)")
    .option("--url <url>", "the server", "http://127.0.0.1:8080")
    .option("--token <token>", "API token (default: $RUNTRAIL_TOKEN)", process.env.RUNTRAIL_TOKEN)
    .addHelpText(
      "after",
      "\nThe run's events show what it waits for: run.suspended has waitingFor.\n\nExamples:\n  $ runtrail signal 0b7c… approval --data '{\"approved\":true}'\n  $ runtrail signal 0b7c… approval --url http://127.0.0.1:8080 --token $RUNTRAIL_TOKEN --data '{\"approved\":false}'",
    )
    .action(signal);
}

function payloadOf(data: string | undefined): string | undefined {
  if (data === undefined) return undefined;
  try {
    JSON.parse(data);
  } catch (error) {
    throw new CliError(`--data is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return data;
}

async function signal(runId: string, name: string, flags: SignalFlags): Promise<void> {
  const body = payloadOf(flags.data);
  const url = `${flags.url.replace(/\/+$/, "")}/api/runs/${encodeURIComponent(runId)}/signals/${encodeURIComponent(name)}`;
  const headers: Record<string, string> = {};
  if (flags.token !== undefined) headers.authorization = `Bearer ${flags.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers, ...(body === undefined ? {} : { body }) });
  } catch (error) {
    throw new CliError(`cannot reach ${flags.url}: ${error instanceof Error ? error.message : String(error)} (is \`runtrail serve\` running?)`);
  }
  const text = await response.text();
  let answer: { message?: string; field?: string; resumedFromTrail?: boolean; queued?: boolean } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    // A proxy's HTML error page: the status says enough.
  }
  if (!response.ok) {
    const field = answer.field === undefined ? "" : ` (field ${answer.field})`;
    throw new CliError(`signal "${name}" refused by ${flags.url} (${response.status}): ${answer.message ?? text}${field}`);
  }
  // serve --nats: a worker resumes the run from its trail and delivers it.
  if (answer.queued === true) return void console.log(`signal "${name}" queued for a worker to resume run ${runId} with`);
  console.log(`signal "${name}" delivered to run ${runId}${answer.resumedFromTrail === true ? " (resumed from its trail)" : ""}`);
}
