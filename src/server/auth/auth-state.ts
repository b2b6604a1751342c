/**
 * The server's auth while it runs: which tokens hold now (they change under it: `runtrail token
 * revoke` rewrites the file), whether it is in open mode (a token file it follows may appear
 * after the start, and then it leaves open mode for good), and the open streams, which it ends
 * with `token_revoked` once what they were opened with no longer holds.
 */
import { existsSync } from "node:fs";
import type { AuthConfig, Principal } from "./principal.js";
import type { StreamTokenSigner } from "./stream-token.js";
import { StreamRegistry, type EndStream } from "./stream-registry.js";
import { createFileTokenStore, type FileTokenStoreOptions } from "./token-file-store.js";
import type { TokenStore } from "./token-store.js";

/** What {@link AuthState} is made from (every default applied by the server's options). */
export interface AuthStateOptions {
  /** API tokens: token mode from the start. */
  readonly tokens: TokenStore | undefined;
  /** A token file to follow (when `tokens` is not given): open mode until it exists. */
  readonly tokenFile: string | undefined;
  readonly tokenFileOptions?: FileTokenStoreOptions;
  readonly signer: StreamTokenSigner;
  readonly defaultAccount: string;
  readonly maxStreamTokenTtlMs: number;
  /** How often a store that cannot tell of changes (no `watch`) is re-listed. */
  readonly recheckMs: number;
  /** Origins open mode serves besides loopback ones: those listed in `http.cors.origin`. */
  readonly trustedOrigins?: readonly string[];
}

/** Where the auth state reports: notices for the log, and the failure that stops the server. */
export interface AuthHooks {
  notice(message: string): void;
  fatal(error: Error): void;
}

/**
 * @example
 * const auth = new AuthState({ tokens, tokenFile: undefined, signer, defaultAccount: "default", maxStreamTokenTtlMs: 3_600_000, recheckMs: 1_000 });
 * await auth.start({ notice: console.log, fatal: (error) => void server.close() });
 * const forget = auth.watchStream(principal, (message) => endWithError("token_revoked", message));
 */
export class AuthState implements AuthConfig {
  readonly signer: StreamTokenSigner;
  readonly defaultAccount: string;
  readonly maxStreamTokenTtlMs: number;
  /** The token file followed while in open mode, if any. */
  readonly tokenFile: string | undefined;
  /** Origins open mode serves besides loopback ones (listed by name in the CORS option). */
  readonly trustedOrigins: ReadonlySet<string>;
  private readonly store: TokenStore | undefined;
  private readonly recheckMs: number;
  private readonly streams = new StreamRegistry();
  private active: boolean;
  private fileGone = false;
  private hooks: AuthHooks = { notice: () => undefined, fatal: () => undefined };
  private stop: (() => void) | undefined;

  constructor(options: AuthStateOptions) {
    this.signer = options.signer;
    this.defaultAccount = options.defaultAccount;
    this.maxStreamTokenTtlMs = options.maxStreamTokenTtlMs;
    this.recheckMs = options.recheckMs;
    this.trustedOrigins = new Set(options.trustedOrigins ?? []);
    this.tokenFile = options.tokens === undefined ? options.tokenFile : undefined;
    this.store = options.tokens ?? (this.tokenFile === undefined ? undefined : createFileTokenStore(this.tokenFile, options.tokenFileOptions));
    this.active = options.tokens !== undefined || (this.tokenFile !== undefined && existsSync(this.tokenFile));
  }

  /** The API tokens in force; undefined: open mode. */
  get tokens(): TokenStore | undefined {
    return this.active ? this.store : undefined;
  }

  /** Open streams registered with {@link watchStream}. */
  get openStreams(): number {
    return this.streams.size;
  }

  /**
   * Reads the tokens once (a token file that does not parse throws its `TokenFileError` here, so
   * the server does not start on it), then follows them.
   */
  async start(hooks: AuthHooks): Promise<void> {
    this.hooks = hooks;
    const store = this.store;
    if (store === undefined) return;
    await store.list();
    const unwatch = store.watch?.({ changed: () => this.changed(), failed: (error) => this.fail(error) });
    if (unwatch !== undefined) this.stop = unwatch;
    else {
      const timer = setInterval(() => void this.recheck(), this.recheckMs);
      timer.unref();
      this.stop = () => clearInterval(timer);
    }
  }

  /** Stops following the tokens. */
  close(): void {
    this.stop?.();
    this.stop = undefined;
  }

  /**
   * Registers an open stream: `end` is called (once) with the reason when the credentials it was
   * opened with stop holding. Returns what forgets it; call that when the stream ends.
   */
  watchStream(principal: Principal, end: EndStream): () => void {
    let open = true;
    const forget = this.streams.add(principal, (message) => {
      open = false;
      end(message);
    });
    // Its token may have been revoked between its authentication and now, after the last sweep.
    this.judge().then(
      (reasonFor) => {
        const reason = reasonFor(principal);
        if (open && reason !== undefined) {
          open = false;
          forget();
          end(reason);
        }
      },
      () => undefined,
    );
    return () => {
      open = false;
      forget();
    };
  }

  private changed(): void {
    const file = this.tokenFile;
    if (file !== undefined) {
      const present = existsSync(file);
      if (!this.active && present) {
        this.active = true;
        this.hooks.notice(`token file ${file} appeared: leaving open mode; every request now needs an API token`);
      } else if (this.active && !present && !this.fileGone) {
        this.hooks.notice(`token file ${file} was removed: every API token is refused (the server stays in token mode; restart it to serve in open mode)`);
      }
      this.fileGone = this.active && !present;
    }
    void this.recheck();
  }

  private fail(error: Error): void {
    this.close();
    this.hooks.fatal(error);
  }

  /** Ends every open stream whose credentials no longer hold. */
  private async recheck(): Promise<void> {
    try {
      this.streams.endWhere(await this.judge());
    } catch (error) {
      this.hooks.notice(`could not re-check the API tokens: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Why a stream opened by a principal must end now, or undefined while its credentials hold. */
  private async judge(): Promise<(principal: Principal) => string | undefined> {
    const tokens = this.tokens;
    if (tokens === undefined) return () => undefined;
    const live = new Set((await tokens.list()).map((record) => record.id));
    const file = this.tokenFile;
    return (principal) => {
      if (principal.via === "open") {
        return `the server now requires API tokens${file === undefined ? "" : ` (its token file ${file} appeared)`}; reconnect with one`;
      }
      if (principal.tokenId === undefined || live.has(principal.tokenId)) return undefined;
      return principal.via === "stream-token"
        ? `the API token ${principal.tokenId} that minted this stream token has been revoked`
        : `the API token ${principal.tokenId} this stream was opened with has been revoked`;
    };
  }
}
