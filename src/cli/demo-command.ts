/**
 * `runtrail demo` (`npm run demo`): runs the demo workflows against local stand-ins, live, stores
 * their trails in the embedded SQLite store (`./runtrail.db`) under the default account, then
 * serves them on loopback (with the demo workflows startable through the API) and prints the
 * URL. `--no-serve` runs them and exits.
 */
import { Command } from "commander";
import type { StartableWorkflow } from "../server/index.js";
import { messageOf } from "./cli-errors.js";
import { integerIn } from "./cli-input.js";
import { createDisplay } from "./live/display.js";
import { colorsOn, parseProgressMode, resolveMode, type ProgressMode } from "./live/progress-mode.js";
import { startServer } from "./serve-command.js";
import { openStore, storeOptions, type StoreFlags } from "./store-open.js";

interface DemoFlags extends StoreFlags {
  readonly serve: boolean;
  readonly port: number;
  readonly progress: ProgressMode;
}

/**
 * The `demo` command.
 *
 * @example
 * await demoCommand().parseAsync(["--no-serve"], { from: "user" });
 */
export function demoCommand(): Command {
  return storeOptions(new Command("demo").description("run the demo workflows, store their trails, and serve them"))
    .option("--no-serve", "run the demo workflows and exit")
    .option("--port <port>", "port to serve on (0: any free port)", integerIn(0, 65_535, "the port"), 8080)
    .option("--progress <mode>", "auto | tty | plain | json | quiet", parseProgressMode, "auto")
    .addHelpText("after", "\nExamples:\n  $ npm run demo\n  $ runtrail demo --no-serve --progress plain")
    .action(demo);
}

async function demo(flags: DemoFlags): Promise<void> {
  const [{ createBus }, { createControl, retryPolicy }, { createStoreWriter }, { DEMO_ORDERS, demoWorkflows }, { startStandIn }] = await Promise.all([
    import("../bus/index.js"),
    import("../control/index.js"),
    import("../store/index.js"),
    import("./demo/demo-workflows.js"),
    import("./demo/demo-stand-in.js"),
  ]);
  const standIn = await startStandIn();
  const { orders, inventory } = demoWorkflows(standIn.url);
  const control = createControl();
  control.use(retryPolicy({ maxAttempts: 3, initialDelayMs: 30 }));
  const store = await openStore(flags);
  const out = process.stdout;
  const mode = resolveMode(flags.progress, { isTTY: out.isTTY, env: process.env });
  const bus = createBus();
  const writer = createStoreWriter(bus, store);
  const runs: { name: string; runId: string; status: string }[] = [];
  try {
    for (const [wf, input] of [
      [orders, { orders: DEMO_ORDERS }],
      [inventory, { skus: ["sku-1", "sku-2"] }],
    ] as const) {
      const display = createDisplay(mode, { out, colors: colorsOn(process.env) });
      const stop = bus.onEvent((event) => display.event(event));
      const handle = (wf as typeof orders).start(input as never, { bus, control, accountId: flags.account });
      // The demo's manager signs off as soon as the run asks (ctx.waitFor("sign-off")).
      const signOff = bus.onEvent(
        (event) => {
          if (event.type === "run.suspended" && event.waitingFor === "sign-off") handle.signal("sign-off", { approved: true, by: "demo manager" }, { by: "demo manager" }).catch(() => undefined);
        },
        { runId: handle.runId, type: "run.suspended" },
      );
      await handle.result.catch(() => undefined);
      signOff();
      stop();
      display.close();
      runs.push({ name: wf.name, runId: handle.runId, status: handle.state()?.status ?? "unknown" });
      if (mode === "plain") out.write("\n");
    }
    await writer.close();
  } finally {
    await store.close();
  }
  const where = flags.postgres === undefined ? flags.db : "PostgreSQL";
  out.write(`\nStored in ${where}, account ${flags.account}:\n`);
  for (const run of runs) out.write(`  ${run.name.padEnd(16)} ${run.status.padEnd(10)} ${run.runId}\n`);
  const first = runs[0]!.runId;
  out.write(`\nTry: npm run runtrail -- runs | events ${first} | replay ${first} --speed 5 | stats order-pipeline\n`);
  if (!flags.serve) {
    await standIn.close();
    return;
  }
  const { withControl } = await import("./workflow-dir.js");
  // Runs started through the API get the same retry policy as the demo's own.
  const found = [orders, inventory].map((workflow) => ({ workflow: withControl(workflow as StartableWorkflow, control), file: "built-in demo" }));
  const options = { db: flags.db, account: flags.account, host: "127.0.0.1", port: flags.port, poll: 500, ...(flags.postgres === undefined ? {} : { postgres: flags.postgres }) };
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(options, { found });
  } catch (error) {
    if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    out.write(`[runtrail] port ${flags.port} is taken (${messageOf(error)}); serving on a free port instead\n`);
    server = await startServer({ ...options, port: 0 }, { found });
  }
  out.write(`\nOpen ${server.url}/ (the API index: ${server.url}/api). Ctrl-C stops.\n`);
  const running = server;
  const stop = (): void => {
    running
      .close()
      .then(() => standIn.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`[runtrail] shutdown failed: ${messageOf(error)}`);
          process.exit(1);
        },
      );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
