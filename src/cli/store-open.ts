/**
 * `--db PATH | --postgres URL` and `--account NAME`, shared by every command that reads or writes
 * a store, and opening that store with an error that names the path or URL and what is wrong.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
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
    if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
      throw new CliError(`--postgres ${redactUrl(url)}: the URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
    }
    // `schema` is the store's, not a libpq parameter: take it out before pg reads the URL.
    const schema = parsed.searchParams.get("schema") ?? undefined;
    if (schema === "") throw new CliError(`--postgres ${redactUrl(url)}: ?schema= names no schema`);
    parsed.searchParams.delete("schema");
    const { openPostgresStore } = await importAdapter("../store/postgres/index.js", "pg and pg-copy-streams", "--postgres");
    try {
      return await openPostgresStore(schema === undefined ? { connectionString: url } : { connectionString: parsed.toString(), schema });
    } catch (error) {
      throw new CliError(`cannot open the PostgreSQL store at ${redactUrl(url)} (--postgres): ${postgresProblem(error, parsed)}`);
    }
  }
  const path = flags.db;
  const full = path === ":memory:" ? path : resolve(path);
  if (path !== ":memory:") {
    if (options.mustExist === true && !existsSync(full)) throw new CliError(`no store at ${full} (--db): run a workflow first (runtrail run FILE) or pass the right --db`);
    if (!existsSync(dirname(full))) throw new CliError(`cannot open the SQLite store at ${full} (--db): the folder ${dirname(full)} does not exist`);
    if (existsSync(full) && statSync(full).isDirectory()) throw new CliError(`cannot open the SQLite store at ${full} (--db): it is a folder, not a database file (pass a file path such as ${join(full, "runtrail.db")})`);
  }
  const { openSqliteStore } = await importAdapter("../store/sqlite/index.js", "better-sqlite3", "--db");
  try {
    return await openSqliteStore({ path });
  } catch (error) {
    throw new CliError(`cannot open the SQLite store at ${full} (--db): ${sqliteProblem(error, full)}`);
  }
}

/** What is wrong, in words, with the SQLite driver's own message after it. */
function sqliteProblem(error: unknown, full: string): string {
  const code = (error as { code?: string }).code ?? "";
  const raw = messageOf(error);
  if (code === "SQLITE_NOTADB") return `the file is not a SQLite database (${raw})`;
  if (code === "SQLITE_READONLY" || code.startsWith("SQLITE_READONLY_")) return `the file or its folder is read-only; Runtrail writes the database and its -wal file beside it (${raw})`;
  if (code === "SQLITE_CANTOPEN") return `SQLite cannot create or open the file: check that ${dirname(full)} is writable and that ${full} is a file (${raw})`;
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") return `another process holds the database locked (${raw})`;
  if (code === "SQLITE_CORRUPT") return `the database file is damaged (${raw})`;
  return raw;
}

/** What is wrong, in words, with the driver's own message after it. */
function postgresProblem(error: unknown, url: URL): string {
  const code = (error as { code?: string }).code ?? "";
  const raw = messageOf(error);
  const host = url.hostname === "" ? "localhost" : url.hostname;
  const where = `${host}:${url.port === "" ? "5432" : url.port}`;
  const database = decodeURIComponent(url.pathname.slice(1)) || "(the user's name)";
  const user = decodeURIComponent(url.username) || "(the system user)";
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host "${host}" is not known (DNS lookup failed): check the host part of the URL (${raw})`;
    case "ECONNREFUSED":
      return `nothing accepts connections at ${where}: is PostgreSQL running, and on this port? (${raw})`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `${where} cannot be reached (${raw})`;
    case "3D000":
      return `the database "${database}" does not exist on ${where}: create it (createdb ${database}) or fix the URL's path (${raw})`;
    case "28000":
    case "28P01":
      return `${where} refused user "${user}": check the user and password in the URL (${raw})`;
    case "42501":
      return `user "${user}" may not create Runtrail's tables in database "${database}" (${raw})`;
    default:
      return raw;
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
