/**
 * `runtrail tail RUN | --all`: follows a run until it ends (exit 0 if it completed, 2 if it
 * failed or was cancelled), or the account until Ctrl-C, from a server (`--url`, SSE with resume)
 * or straight from a store (`--db`/`--postgres`).
 */
import { Command } from "commander";
import type { RuntrailEvent } from "../events/index.js";
import { CliError, EXIT_RUN_FAILED } from "./cli-errors.js";
import { integerIn, typeList } from "./cli-input.js";
import { createDisplay } from "./live/display.js";
import { colorsOn, parseProgressMode, resolveMode, type ProgressMode } from "./live/progress-mode.js";
import { openStore, storeOptions, type StoreFlags } from "./store-open.js";

interface TailFlags extends StoreFlags {
  readonly all?: boolean;
  readonly types?: string[];
  readonly after: number;
  readonly url?: string;
  readonly token?: string;
  readonly poll: number;
  readonly progress: ProgressMode;
  readonly json?: boolean;
}

/**
 * The `tail` command.
 *
 * @example
 * await tailCommand().parseAsync(["--all", "--url", "http://127.0.0.1:8080", "--types", "run.*"], { from: "user" });
 */
export function tailCommand(): Command {
  return storeOptions(new Command("tail").description("follow a run (until it ends) or the whole account (until Ctrl-C)").argument("[runId]", "the run to follow"))
    .option("--all", "follow every run of the account")
    .option("--types <globs>", "only these types: exact or globs, comma-separated (step.*,run.failed)", typeList)
    .option("--after <cursor>", "start after this seq (a run) or global cursor (--all)", integerIn(0, Number.MAX_SAFE_INTEGER, "--after"), 0)
    .option("--url <url>", "follow through this server (SSE) instead of a store, e.g. http://127.0.0.1:8080")
    .option("--token <token>", "API token for --url (default: $RUNTRAIL_TOKEN)", process.env.RUNTRAIL_TOKEN)
    .option("--poll <ms>", "re-read interval when following a store", integerIn(10, 60_000, "the poll interval"), 200)
    .option("--progress <mode>", "auto | tty | plain | json | quiet", parseProgressMode, "auto")
    .option("--json", "NDJSON: each stored event as one line, as the API returns it")
    .addHelpText("after", "\nExamples:\n  $ runtrail tail 0b7c…\n  $ runtrail tail --all --types 'run.*,step.failed' --json | jq .runId\n  $ runtrail tail 0b7c… --url http://127.0.0.1:8080 --token $RUNTRAIL_TOKEN")
    .action(tail);
}

async function tail(runId: string | undefined, flags: TailFlags): Promise<void> {
  if ((runId === undefined) === (flags.all !== true)) throw new CliError("tail needs a run id or --all (not both)");
  const [{ compileFilter }, { isTerminalRunEvent }, { requireRun }, { followStore }] = await Promise.all([
    import("../bus/index.js"),
    import("../events/index.js"),
    import("./run-lookup.js"),
    import("./tail-store.js"),
  ]);
  const out = process.stdout;
  const mode = resolveMode(flags.progress, { json: flags.json === true, isTTY: out.isTTY, env: process.env });
  // The tty window draws one run; the account's events go one line each.
  const display = createDisplay(mode === "tty" && runId === undefined ? "plain" : mode, { out, colors: colorsOn(process.env), runIds: runId === undefined });
  const matches = compileFilter(flags.types === undefined ? undefined : { type: flags.types as never });
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once("SIGINT", onSigint);
  let end: RuntrailEvent | undefined;
  const show = (event: RuntrailEvent, body: string): void => {
    if (runId !== undefined && event.runId === runId && isTerminalRunEvent(event.type)) end = event;
    if (matches !== undefined && !matches(event)) return;
    display.event(event);
    display.stored(body);
  };
  try {
    if (flags.url !== undefined) await fromServer(flags.url, runId, flags, stop.signal, show);
    else {
      const store = await openStore(flags, { mustExist: true });
      try {
        if (runId !== undefined) await requireRun(store, flags.account, runId, flags);
        for await (const { event } of followStore(store, { account: flags.account, ...(runId === undefined ? {} : { runId }), after: flags.after, pollMs: flags.poll, signal: stop.signal })) {
          show(event, JSON.stringify(event));
        }
      } finally {
        await store.close();
      }
    }
  } finally {
    process.off("SIGINT", onSigint);
    display.close();
  }
  if (end !== undefined && end.type !== "run.completed") throw new CliError("", EXIT_RUN_FAILED);
}

async function fromServer(base: string, runId: string | undefined, flags: TailFlags, signal: AbortSignal, show: (event: RuntrailEvent, body: string) => void): Promise<void> {
  const [{ parseEvent }, { followSse }] = await Promise.all([import("../events/index.js"), import("./tail-sse.js")]);
  let root: URL;
  try {
    root = new URL(base);
  } catch {
    throw new CliError(`--url ${base}: not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  const path = runId === undefined ? "/api/stream" : `/api/runs/${encodeURIComponent(runId)}/stream`;
  const url = new URL(path, root).toString();
  const options = {
    after: flags.after,
    signal,
    ...(flags.token === undefined ? {} : { token: flags.token }),
    onReconnect: (reason: string, attempt: number) => process.stderr.write(`[runtrail] stream interrupted (${reason}); resuming (attempt ${attempt})\n`),
  };
  for await (const item of followSse(url, options)) {
    if (item.kind === "event") show(parseEvent(JSON.parse(item.body) as unknown, url), item.body);
    else if (item.kind === "error") process.stderr.write(`[runtrail] the server says: ${item.data}\n`);
    else return;
  }
}
