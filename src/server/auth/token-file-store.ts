/**
 * A token store in a JSON file (mode 0600): what `runtrail token create` writes and `runtrail
 * serve` reads. The file holds hashes only. Each check of a token stats the file and re-reads it
 * when it changed (inode, size or mtime: the CLI replaces it by an atomic rename, so the inode
 * changes on every write), so a token created or revoked by the CLI takes effect in a running
 * server at its next request. A watcher (the server) is also told of changes, by `fs.watch` on
 * the file's folder and, since `fs.watch` misses changes on some file systems and cannot watch a
 * folder that does not exist yet, by a stat every `pollIntervalMs`.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, watch as watchFs, writeFileSync, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { parseTokenFile, TokenFileError } from "./token-file-parse.js";
import { checkToken, mintToken, type TokenRecord, type TokenStore, type TokenStoreWatcher } from "./token-store.js";

/** Options of {@link createFileTokenStore}. */
export interface FileTokenStoreOptions {
  /** How often a watched file is stat'ed, besides `fs.watch`. Default 1,000 ms. */
  readonly pollIntervalMs?: number;
  /** Whether watchers also use `fs.watch` (else the stat poll alone). Default true. */
  readonly fsWatch?: boolean;
  /**
   * How long a watched file that does not parse is given to become whole (an editor that writes
   * in place) before the watchers are told it failed; meanwhile the last good tokens hold.
   * Default 300 ms.
   */
  readonly settleMs?: number;
}

interface Snapshot {
  /** `absent`, or inode, size and mtime. */
  readonly signature: string;
  readonly byId: ReadonlyMap<string, TokenRecord>;
}

function signatureOf(path: string): string {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    throw new TokenFileError(path, undefined, `cannot be read (${(error as Error).message})`);
  }
}

function load(path: string): TokenRecord[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new TokenFileError(path, undefined, `cannot be read (${(error as Error).message})`);
  }
  return parseTokenFile(path, text);
}

function save(path: string, tokens: readonly TokenRecord[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ version: 1, tokens }, null, 2) + "\n", { mode: 0o600 });
  chmodSync(temp, 0o600);
  // A rename is atomic: a server re-reading the file never sees half of it.
  renameSync(temp, path);
}

/** `work()`'s value as a promise; what it throws, as a rejection (callers `await` or `.catch`). */
function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * Opens (or, on the first `create`, makes) a token file. A file that does not parse throws a
 * `TokenFileError` naming the file and the line and column (or the field) at fault.
 *
 * @example
 * const tokens = createFileTokenStore("./.runtrail/tokens.json");
 * const { token } = await tokens.create({ accountId: "acme" });
 * const server = await createServer({ store, auth: { tokens } });
 */
export function createFileTokenStore(path: string, options: FileTokenStoreOptions = {}): TokenStore {
  const { pollIntervalMs = 1_000, fsWatch = true, settleMs = 300 } = options;
  const watchers = new Set<TokenStoreWatcher>();
  let snapshot: Snapshot | undefined;
  let settling: ReturnType<typeof setTimeout> | undefined;
  let failed: TokenFileError | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  let fsWatcher: FSWatcher | undefined;

  const read = (): Snapshot => {
    const signature = signatureOf(path);
    if (snapshot?.signature !== signature) snapshot = { signature, byId: new Map(load(path).map((record) => [record.id, record])) };
    return snapshot;
  };

  const stopWatching = (): void => {
    clearInterval(poll);
    clearTimeout(settling);
    fsWatcher?.close();
    poll = settling = fsWatcher = undefined;
  };

  const fail = (error: TokenFileError): void => {
    failed = error;
    stopWatching();
    for (const watcher of [...watchers]) watcher.failed(error);
  };

  /**
   * The tokens as the file holds them now. Unwatched (the CLI), a bad file throws. Watched (a
   * server), the last good tokens hold while the file settles, then the watchers are told.
   */
  const current = (): ReadonlyMap<string, TokenRecord> => {
    if (watchers.size === 0 || failed !== undefined) {
      if (failed !== undefined) throw failed;
      return read().byId;
    }
    const before = snapshot;
    try {
      const now = read();
      clearTimeout(settling);
      settling = undefined;
      if (now !== before) queueMicrotask(() => watchers.forEach((watcher) => watcher.changed()));
      return now.byId;
    } catch (error) {
      if (!(error instanceof TokenFileError)) throw error;
      settling ??= setTimeout(() => {
        settling = undefined;
        // Not re-read since the timer was set: the next read decides, now without a grace.
        snapshot = undefined;
        try {
          read();
          watchers.forEach((watcher) => watcher.changed());
        } catch (again) {
          fail(again instanceof TokenFileError ? again : error);
        }
      }, settleMs);
      return before?.byId ?? new Map();
    }
  };

  const check = (): void => {
    try {
      current();
    } catch {
      // A failure was handed to the watchers already.
    }
  };

  const startFsWatch = (): void => {
    if (!fsWatch || fsWatcher !== undefined) return;
    try {
      const name = basename(path);
      fsWatcher = watchFs(dirname(path), { persistent: false }, (_event, file) => {
        if (file === null || file === name) check();
      });
      fsWatcher.on("error", () => {
        fsWatcher?.close();
        fsWatcher = undefined;
      });
    } catch {
      // No folder yet (the file may appear later with it): the poll looks, and retries the watch.
      fsWatcher = undefined;
    }
  };

  return {
    create: (createOptions) =>
      settled(() => {
        const minted = mintToken(createOptions);
        save(path, [...load(path), minted.record]);
        if (watchers.size > 0) check();
        return minted;
      }),
    verify: (token) => settled(() => checkToken(token, (id) => current().get(id))),
    list: () => settled(() => [...current().values()]),
    revoke: (id) =>
      settled(() => {
        const tokens = load(path);
        const kept = tokens.filter((record) => record.id !== id);
        if (kept.length === tokens.length) return false;
        save(path, kept);
        if (watchers.size > 0) check();
        return true;
      }),
    watch(watcher) {
      watchers.add(watcher);
      if (watchers.size === 1 && failed === undefined) {
        startFsWatch();
        poll = setInterval(() => {
          startFsWatch();
          check();
        }, pollIntervalMs);
        poll.unref();
      }
      return () => {
        watchers.delete(watcher);
        if (watchers.size === 0) stopWatching();
      };
    },
  };
}
