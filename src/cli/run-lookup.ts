/**
 * The error every command gives for a run its account does not have: the run, the account and
 * the store, so a wrong `--account` or `--db` shows.
 */
import type { EventStore } from "../store/index.js";
import { CliError } from "./cli-errors.js";
import type { StoreFlags } from "./store-open.js";

/**
 * Throws unless the account has the run.
 *
 * @example
 * await requireRun(store, "default", runId, flags);
 */
export async function requireRun(store: EventStore, account: string, runId: string, flags: Pick<StoreFlags, "db" | "postgres">): Promise<void> {
  if ((await store.getRun(account, runId)) === undefined) {
    throw new CliError(`no run ${runId} in account ${account} (${flags.postgres === undefined ? `--db ${flags.db}` : "--postgres"})`);
  }
}
