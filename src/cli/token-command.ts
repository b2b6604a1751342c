/**
 * `runtrail token create|list|revoke`: API tokens in the server's token file. The clear token is
 * printed once, at creation; the file keeps only its hash.
 */
import { Command } from "commander";

/** The token file when `--file` is not given. */
export const DEFAULT_TOKEN_FILE = process.env.RUNTRAIL_TOKENS ?? ".runtrail/tokens.json";

/**
 * The `token` command; `print` receives each output line.
 *
 * @example
 * await tokenCommand(console.log).parseAsync(["create", "--account", "acme", "--read-only"], { from: "user" });
 */
export function tokenCommand(print: (line: string) => void = console.log): Command {
  // The server's entry point loads Fastify: only a token command that runs pays for it.
  const createFileTokenStore = async (file: string) => (await import("../server/index.js")).createFileTokenStore(file);
  const token = new Command("token").description("create, list and revoke API tokens");
  token
    .command("create")
    .description("create a token for one account and print it (once)")
    .requiredOption("--account <id>", "the account the token acts for")
    .option("--read-only", "the token may read and stream, not start or cancel runs", false)
    .option("--label <text>", "a note to tell tokens apart")
    .option("--file <path>", "the token file", DEFAULT_TOKEN_FILE)
    .action(async (options: { account: string; readOnly: boolean; label?: string; file: string }) => {
      const store = await createFileTokenStore(options.file);
      const { token: clear, record } = await store.create({ accountId: options.account, readOnly: options.readOnly, ...(options.label === undefined ? {} : { label: options.label }) });
      print(clear);
      print(`# id ${record.id}, account ${record.accountId}${record.readOnly ? ", read-only" : ""}; stored hashed in ${options.file}`);
    });
  token
    .command("list")
    .description("list tokens (ids and accounts; the tokens themselves are not stored)")
    .option("--file <path>", "the token file", DEFAULT_TOKEN_FILE)
    .action(async (options: { file: string }) => {
      for (const record of await (await createFileTokenStore(options.file)).list()) {
        print(`${record.id}\t${record.accountId}\t${record.readOnly ? "read-only" : "read-write"}\t${new Date(record.createdAt).toISOString()}\t${record.label ?? ""}`);
      }
    });
  token
    .command("revoke <id>")
    .description("delete a token by id")
    .option("--file <path>", "the token file", DEFAULT_TOKEN_FILE)
    .action(async (id: string, options: { file: string }) => {
      if (!(await (await createFileTokenStore(options.file)).revoke(id))) throw new Error(`no token with id ${id}`);
      print(`revoked ${id}`);
    });
  return token;
}
