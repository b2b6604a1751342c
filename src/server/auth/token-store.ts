/**
 * API tokens: one account each, optionally read-only. Only a token's SHA-256 is kept, so a leaked
 * token file grants nothing; a token is `rt_<id>_<secret>`, where the public `id` finds the record
 * and the 256-bit secret is checked against the hash in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A token as stored: never the token itself. */
export interface TokenRecord {
  readonly id: string;
  readonly accountId: string;
  readonly readOnly: boolean;
  /** SHA-256 (hex) of the whole token. */
  readonly hash: string;
  readonly createdAt: number;
  readonly label?: string;
}

/** Who a request acts for, once its token is checked. */
export interface TokenGrant {
  readonly tokenId: string;
  readonly accountId: string;
  readonly readOnly: boolean;
}

/**
 * Where API tokens live. Implementations: {@link createMemoryTokenStore} and
 * `createFileTokenStore` (a JSON file, what the CLI writes).
 *
 * @example
 * const tokens = createMemoryTokenStore();
 * const { token } = await tokens.create({ accountId: "acme" });
 * await tokens.verify(token); // { tokenId, accountId: "acme", readOnly: false }
 */
export interface TokenStore {
  /** Creates a token; the clear token is returned once and never stored. */
  create(options: CreateTokenOptions): Promise<{ readonly token: string; readonly record: TokenRecord }>;
  /** The grant of a valid token, or undefined. */
  verify(token: string): Promise<TokenGrant | undefined>;
  list(): Promise<readonly TokenRecord[]>;
  /** Deletes a token by id; false when there was none. */
  revoke(id: string): Promise<boolean>;
  /**
   * Tells `watcher` when the tokens may have changed (a token created or revoked, here or by
   * another process), so a server can end the streams of a revoked token; returns what stops it.
   * A store without it is re-listed by the server every `auth.recheckMs`.
   */
  watch?(watcher: TokenStoreWatcher): () => void;
}

/** What {@link TokenStore.watch} tells. */
export interface TokenStoreWatcher {
  /** The tokens may have changed: re-check what was opened with them. */
  changed(): void;
  /** The store can no longer be read (a token file that does not parse): the server stops. */
  failed(error: Error): void;
}

/** Options of {@link TokenStore.create}. */
export interface CreateTokenOptions {
  accountId: string;
  readOnly?: boolean;
  label?: string;
}

const TOKEN_PATTERN = /^rt_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const ACCOUNT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** SHA-256 hex of a token. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new token and its record; the caller keeps the record. */
export function mintToken(options: CreateTokenOptions, now = Date.now()): { token: string; record: TokenRecord } {
  if (!ACCOUNT_PATTERN.test(options.accountId)) throw new RangeError(`invalid account id "${options.accountId}"`);
  const id = randomBytes(9).toString("base64url").replace(/[-_]/g, "x").slice(0, 12);
  const token = `rt_${id}_${randomBytes(32).toString("base64url")}`;
  const record: TokenRecord = {
    id,
    accountId: options.accountId,
    readOnly: options.readOnly ?? false,
    hash: hashToken(token),
    createdAt: now,
    ...(options.label === undefined ? {} : { label: options.label }),
  };
  return { token, record };
}

/** The record's grant if `token` is the one it was made from; constant time in the secret. */
export function checkToken(token: string, find: (id: string) => TokenRecord | undefined): TokenGrant | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (match === null) return undefined;
  const record = find(match[1]!);
  if (record === undefined) return undefined;
  const expected = Buffer.from(record.hash, "hex");
  const actual = createHash("sha256").update(token).digest();
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  return { tokenId: record.id, accountId: record.accountId, readOnly: record.readOnly };
}

/**
 * A token store in memory: for tests and for servers whose tokens come from configuration.
 *
 * @example
 * const tokens = createMemoryTokenStore();
 * const { token } = await tokens.create({ accountId: "acme", readOnly: true });
 */
export function createMemoryTokenStore(initial: readonly TokenRecord[] = []): TokenStore {
  const records = new Map(initial.map((record) => [record.id, record]));
  const watchers = new Set<TokenStoreWatcher>();
  const changed = (): void => {
    for (const watcher of watchers) watcher.changed();
  };
  return {
    create(options) {
      const minted = mintToken(options);
      records.set(minted.record.id, minted.record);
      changed();
      return Promise.resolve(minted);
    },
    verify: (token) => Promise.resolve(checkToken(token, (id) => records.get(id))),
    list: () => Promise.resolve([...records.values()]),
    revoke(id) {
      const deleted = records.delete(id);
      if (deleted) changed();
      return Promise.resolve(deleted);
    },
    watch(watcher) {
      watchers.add(watcher);
      return () => watchers.delete(watcher);
    },
  };
}
