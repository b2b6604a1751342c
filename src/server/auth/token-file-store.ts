/**
 * A token store in a JSON file (mode 0600): what `runtrail token create` writes and `runtrail
 * serve` reads. The file holds hashes only. It is re-read when its mtime changes, so a token
 * created or revoked by the CLI takes effect in a running server without a restart.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { checkToken, mintToken, type TokenRecord, type TokenStore } from "./token-store.js";

interface TokenFile {
  readonly version: 1;
  readonly tokens: readonly TokenRecord[];
}

function isRecord(value: unknown): value is TokenRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.id === "string" && typeof r.accountId === "string" && typeof r.readOnly === "boolean" &&
    typeof r.hash === "string" && /^[0-9a-f]{64}$/.test(r.hash) && typeof r.createdAt === "number";
}

function load(path: string): TokenRecord[] {
  if (!existsSync(path)) return [];
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  const tokens = (parsed as Partial<TokenFile> | null)?.tokens;
  if (!Array.isArray(tokens) || !tokens.every(isRecord)) throw new Error(`${path} is not a runtrail token file`);
  return tokens;
}

function save(path: string, tokens: readonly TokenRecord[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const file: TokenFile = { version: 1, tokens };
  writeFileSync(temp, JSON.stringify(file, null, 2) + "\n", { mode: 0o600 });
  chmodSync(temp, 0o600);
  // A rename is atomic: a server re-reading the file never sees half of it.
  renameSync(temp, path);
}

/**
 * Opens (or, on the first `create`, makes) a token file.
 *
 * @example
 * const tokens = createFileTokenStore("./.runtrail/tokens.json");
 * const { token } = await tokens.create({ accountId: "acme" });
 * const server = await createServer({ store, auth: { tokens } });
 */
export function createFileTokenStore(path: string): TokenStore {
  let cache: { mtimeMs: number; byId: Map<string, TokenRecord> } | undefined;
  const current = (): Map<string, TokenRecord> => {
    const mtimeMs = existsSync(path) ? statSync(path).mtimeMs : -1;
    if (cache === undefined || cache.mtimeMs !== mtimeMs) {
      cache = { mtimeMs, byId: new Map(load(path).map((record) => [record.id, record])) };
    }
    return cache.byId;
  };
  return {
    create(options) {
      const minted = mintToken(options);
      save(path, [...load(path), minted.record]);
      return Promise.resolve(minted);
    },
    verify: (token) => Promise.resolve(checkToken(token, (id) => current().get(id))),
    list: () => Promise.resolve(load(path)),
    revoke(id) {
      const tokens = load(path);
      const kept = tokens.filter((record) => record.id !== id);
      if (kept.length === tokens.length) return Promise.resolve(false);
      save(path, kept);
      return Promise.resolve(true);
    },
  };
}
