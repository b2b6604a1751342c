/**
 * `--nats URL`, `--stream`/`--prefix` (the events stream) and `--run-queue`/`--run-prefix` (start
 * requests), shared by `worker`, `collect`, `start` and `serve --nats`; and connecting with an
 * error that names the URL and how to start NATS.
 */
import type { Command } from "commander";
import type * as NatsTransport from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { CliError, messageOf } from "./cli-errors.js";

/** The NATS server every NATS command talks to unless told otherwise; `RUNTRAIL_NATS` overrides it. */
export const DEFAULT_NATS = process.env.RUNTRAIL_NATS ?? "127.0.0.1:4222";

export interface NatsFlags {
  readonly nats: string;
  readonly stream: string;
  readonly prefix: string;
  readonly runQueue: string;
  readonly runPrefix: string;
  readonly commitSubject: string;
}

/**
 * Adds the NATS flags to a command (`nats` given: `--nats` takes an optional URL, for `serve`).
 *
 * @example
 * natsOptions(new Command("collect")).action(async (flags: NatsFlags) => { … });
 */
export function natsOptions(command: Command, nats: "required" | "optional" = "required"): Command {
  return command
    .option(nats === "required" ? "--nats <url>" : "--nats [url]", nats === "required" ? "NATS server (JetStream on)" : `also take events from NATS (default ${DEFAULT_NATS})`, nats === "required" ? DEFAULT_NATS : undefined)
    .option("--stream <name>", "JetStream stream of the events", "RUNTRAIL")
    .option("--prefix <subject>", "subject prefix of the events", "runtrail.ev")
    .option("--run-queue <name>", "JetStream work-queue stream of start requests", "RUNTRAIL_RUNS")
    .option("--run-prefix <subject>", "subject prefix of start requests", "runtrail.start")
    .option("--commit-subject <subject>", "where collectors announce commits (servers wake on them)", "runtrail.commit");
}

/**
 * Connects to NATS, or fails saying where it looked and how to start a server.
 *
 * @example
 * const nc = await connectNats("127.0.0.1:4222");
 */
export async function connectNats(url: string): Promise<NatsConnection> {
  let transport: typeof NatsTransport;
  try {
    transport = await import("@nats-io/transport-node");
  } catch {
    throw new CliError("the NATS commands need the optional packages @nats-io/transport-node and @nats-io/jetstream: npm install @nats-io/transport-node @nats-io/jetstream");
  }
  try {
    return await transport.connect({ servers: url, name: "runtrail", maxReconnectAttempts: -1 });
  } catch (error) {
    throw new CliError(`--nats ${url}: cannot connect (${messageOf(error)}); start a server with JetStream on: nats-server -js`);
  }
}
