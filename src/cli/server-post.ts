/**
 * A POST to a running server's API for the commands that act on a run there (`suspend`,
 * `resume`): their shared flags, the token as a bearer, the reply's JSON, and a refusal turned into a CliError that
 * says who refused, with what status, and the server's own message (and field, for a 400).
 */
import type { Command } from "commander";
import { CliError, messageOf } from "./cli-errors.js";

/** Where the server is and how to sign in to it (`--url`, `--token`). */
export interface ServerFlags {
  readonly url: string;
  readonly token?: string;
}

/**
 * POSTs `body` as JSON to `path` of the server and returns the reply's JSON.
 *
 * @throws CliError when the server cannot be reached or refuses (`what` names the request in the message).
 * @example
 * const answer = await postToServer(flags, `/api/runs/${id}/resume`, {}, `resume run ${id}`);
 */
export async function postToServer(flags: ServerFlags, path: string, body: unknown, what: string): Promise<Record<string, unknown>> {
  const base = flags.url.replace(/\/+$/, "");
  // The routes refuse a state-changing request that is not JSON, even with no options in it.
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (flags.token !== undefined) headers.authorization = `Bearer ${flags.token}`;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  } catch (error) {
    throw new CliError(`cannot reach ${flags.url}: ${messageOf(error)} (is \`runtrail serve\` running?)`);
  }
  const text = await response.text();
  let answer: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) answer = parsed as Record<string, unknown>;
  } catch {
    // A proxy's HTML error page: the status says enough.
  }
  if (!response.ok) {
    const message = typeof answer.message === "string" ? answer.message : text.slice(0, 200);
    const field = typeof answer.field === "string" ? ` (field ${answer.field})` : "";
    const hint = response.status === 401 ? " (pass --token or set $RUNTRAIL_TOKEN)" : "";
    throw new CliError(`${what} refused by ${flags.url} (${response.status}): ${message}${field}${hint}`);
  }
  return answer;
}

/** The flags of a command that acts on a run on a server, with a reason (`suspend`, `resume`). */
export interface RunActionFlags extends ServerFlags {
  readonly reason?: string;
}

/**
 * Adds `--reason`, `--url` and `--token` (default `$RUNTRAIL_TOKEN`) to a command.
 *
 * @example
 * runActionOptions(new Command("resume")).argument("<runId>");
 */
export function runActionOptions(command: Command): Command {
  return command
    .option("--reason <text>", "why, stored in the event with who asked")
    .option("--url <url>", "the server", "http://127.0.0.1:8080")
    .option("--token <token>", "API token, not read-only (default: $RUNTRAIL_TOKEN)", process.env.RUNTRAIL_TOKEN);
}

/** The request body of a run action: its reason, if given. */
export const reasonBody = (flags: RunActionFlags): { reason?: string } => (flags.reason === undefined ? {} : { reason: flags.reason });
