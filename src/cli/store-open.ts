/**
 * `--db PATH | --postgres URL` and `--account NAME`, shared by every command that reads or writes
 * a store, and opening that store with an error that names the path or URL and what is wrong.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import type { EventStore } from "../store/index.js";
import type * as PostgresAdapter from "../store/postgres/index.js";
import type * as SqliteAdapter from "../store/sqlite/index.js";
import { CliError, messageOf } from "./cli-errors.js";

/** The store's default file; `RUNTRAIL_DB` overrides it. */
export const DEFAULT_DB = process.env.RUNTRAIL_DB ?? "./runtrail.db";
/** The account every command acts for unless told otherwise (the server's open mode uses it too). */
export const DEFAULT_ACCOUNT = process.env.RUNTRAIL_ACCOUNT ?? "default";

export interface StoreFlags {
  readonly db: string;
  readonly postgres?: string;
  readonly account: string;
}

/**
 * Adds `--db`, `--postgres` and `--account` to a command.
 *
 * @example
 * storeOptions(new Command("runs")).action(async (flags: StoreFlags) => { … });
 */
export function storeOptions(command: Command): Command {
  return command
    .option("--db <path>", "SQLite database file", DEFAULT_DB)
    .option("--postgres <url>", "PostgreSQL connection string (instead of --db); ?schema=NAME picks the schema (default runtrail)")
    .option("--account <name>", "the account (tenant) to act for", DEFAULT_ACCOUNT);
}

/** A URL with its password hidden, for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * Opens the store the flags name. `mustExist`: a reading command refuses a missing SQLite file
 * instead of creating an empty one.
 *
 * @example
 * const store = await openStore({ db: "./runtrail.db", account: "default" }, { mustExist: true });
 */
export async function openStore(flags: Pick<StoreFlags, "db" | "postgres">, options: { readonly mustExist?: boolean } = {}): Promise<EventStore> {
  if (flags.postgres !== undefined) {
    const url = flags.postgres;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(`--postgres ${redactUrl(url)}: not a connection URL (expected postgres://user@host:5432/database)`);
    }
    // `schema` is the store's, not a libpq parameter: take it out before pg reads the URL.
    const schema = parsed.searchParams.get("schema") ?? undefined;
    if (schema === "") throw new CliError(`--postgres ${redactUrl(url)}: ?schema= names no schema`);
    parsed.searchParams.delete("schema");
    const { openPostgresStore } = await importAdapter("../store/postgres/index.js", "pg and pg-copy-streams", "--postgres");
    try {
      return await openPostgresStore(schema === undefined ? { connectionString: url } : { connectionString: parsed.toString(), schema });
    } catch (error) {
      throw new CliError(`cannot open the PostgreSQL store at ${redactUrl(url)}: ${messageOf(error)}`);
    }
  }
  const path = flags.db;
  const full = path === ":memory:" ? path : resolve(path);
  if (path !== ":memory:") {
    if (options.mustExist === true && !existsSync(full)) throw new CliError(`no store at ${full} (--db): run a workflow first (runtrail run FILE) or pass the right --db`);
    if (!existsSync(dirname(full))) throw new CliError(`cannot open the SQLite store at ${full} (--db): the folder ${dirname(full)} does not exist`);
  }
  const { openSqliteStore } = await importAdapter("../store/sqlite/index.js", "better-sqlite3", "--db");
  try {
    return await openSqliteStore({ path });
  } catch (error) {
    throw new CliError(`cannot open the SQLite store at ${full} (--db): ${messageOf(error)}`);
  }
}

type Adapters = typeof SqliteAdapter & typeof PostgresAdapter;

/** An adapter entry point; a missing driver says which package to install. */
async function importAdapter(specifier: string, drivers: string, flag: string): Promise<Adapters> {
  try {
    return (await import(specifier)) as Adapters;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND") throw new CliError(`${flag} needs ${drivers}: npm install ${drivers.replace(/ and /g, " ")} (${messageOf(error)})`);
    throw error;
  }
}
