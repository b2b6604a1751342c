/**
 * Revoking an API token ends what it opened: its SSE streams get `event: error` `token_revoked`
 * and end, its WebSocket connections get the `token_revoked` error and close (1008), within 2 s;
 * stream tokens it minted are refused and their streams end too; other tokens' streams go on.
 * Real server, real clients, the CLI's `token revoke` on the token file the server follows
 * (with `fs.watch`, and with the stat poll alone), and the in-memory store's `revoke`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createMemoryTokenStore, type FileTokenStoreOptions } from "../../src/server/index.js";
import { cliCreateToken, cliRevokeToken, RawSse, waitUntil } from "./auth-streams.js";
import { auth, call, emitCommitted, runEvents, startHarness, WsClient, type Harness } from "./server-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "runtrail-revoke-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A server following a fresh token file with two acme tokens in it. */
async function serverWithTokenFile(options: FileTokenStoreOptions = {}): Promise<{ h: Harness; file: string; a: { token: string; id: string }; b: { token: string; id: string } }> {
  const file = join(dir, `tokens-${++files}.json`);
  const a = await cliCreateToken(file, "acme");
  const b = await cliCreateToken(file, "acme");
  const h = await startHarness({ open: true, auth: { tokenFile: file, tokenFileOptions: options } });
  return { h, file, a, b };
}

/** Resolves once the WebSocket client closed; its close code. */
async function closed(client: WsClient, timeoutMs = 5_000): Promise<number> {
  await waitUntil("the WebSocket to close", () => client.closeCode !== undefined, timeoutMs);
  return client.closeCode!;
}

describe.each([
  ["fs.watch and the stat poll", {}],
  ["the stat poll alone", { fsWatch: false }],
] as const)("token revoke, following the token file with %s", (_name, options) => {
  it("ends the revoked token's SSE and WebSocket streams within 2 s with token_revoked; the other token's stream goes on", async () => {
    const { h, file, a, b } = await serverWithTokenFile(options);
    try {
      await emitCommitted(h, runEvents("open-run", "acme", 1, false));
      const account = await RawSse.open(`${h.url}/api/stream`, auth(a.token));
      const run = await RawSse.open(`${h.url}/api/runs/open-run/stream`, auth(a.token));
      const other = await RawSse.open(`${h.url}/api/stream`, auth(b.token));
      const ws = await WsClient.connect(h.url, a.token);
      ws.send({ op: "subscribe", sub: "all", filter: {} });
      await emitCommitted(h, runEvents("before", "acme", 1));
      await waitUntil("every stream to get the run", () => [account, other].every((s) => s.events().some((e) => e.runId === "before")) && ws.events("all").length > 0);
      expect(run.events().map((e) => e.seq)).toEqual([1, 2, 3]);

      const revokedAt = Date.now();
      await cliRevokeToken(file, a.id);
      await Promise.all([account.done, run.done]);
      const code = await closed(ws);
      for (const stream of [account, run]) {
        expect(stream.endedAt! - revokedAt).toBeLessThan(2_000);
        expect(stream.errors()).toEqual([{ error: "token_revoked", message: `the API token ${a.id} this stream was opened with has been revoked` }]);
      }
      expect(Date.now() - revokedAt).toBeLessThan(2_000);
      expect(code).toBe(1008);
      expect(ws.messages.at(-1)).toEqual({ type: "error", code: "token_revoked", message: `the API token ${a.id} this stream was opened with has been revoked` });

      // What happens after the revocation reaches the other token only.
      await emitCommitted(h, runEvents("after", "acme", 1));
      await waitUntil("the other stream to get the new run", () => other.events().some((e) => e.runId === "after"));
      expect(account.events().some((e) => e.runId === "after")).toBe(false);
      expect(other.endedAt).toBeUndefined();
      other.close();

      // Reconnecting with the revoked token is refused, for requests, SSE and WebSocket alike.
      expect(await call(h, "GET", "/api/runs", a.token)).toMatchObject({ status: 401, body: { error: "unauthorized", message: "invalid API token" } });
      await expect(RawSse.open(`${h.url}/api/stream`, auth(a.token))).rejects.toThrow("HTTP 401");
      await expect(WsClient.connect(h.url, a.token)).rejects.toThrow("HTTP 401");
    } finally {
      await h.close();
    }
  });

  it("refuses the stream tokens a revoked token minted, and ends the streams they opened", async () => {
    const { h, file, a, b } = await serverWithTokenFile(options);
    try {
      await emitCommitted(h, runEvents("r1", "acme", 1, false));
      const minted = await call(h, "POST", "/api/stream-tokens", a.token, { ttlSeconds: 3_600 });
      const fromB = await call(h, "POST", "/api/stream-tokens", b.token, {});
      const streamToken = encodeURIComponent(minted.body.token as string);
      const sse = await RawSse.open(`${h.url}/api/runs/r1/stream?token=${streamToken}`);
      const ws = await WsClient.connect(h.url, undefined, `?token=${streamToken}`);
      ws.send({ op: "subscribe", sub: "r1", runId: "r1" });
      await ws.until((messages) => messages.some((m) => m.type === "history"));

      const revokedAt = Date.now();
      await cliRevokeToken(file, a.id);
      await sse.done;
      expect(await closed(ws)).toBe(1008);
      expect(Date.now() - revokedAt).toBeLessThan(2_000);
      const message = `the API token ${a.id} that minted this stream token has been revoked`;
      expect(sse.errors()).toEqual([{ error: "token_revoked", message }]);
      expect(ws.messages.at(-1)).toEqual({ type: "error", code: "token_revoked", message });

      // An hour of life left, but its minter is gone: refused.
      await expect(RawSse.open(`${h.url}/api/stream?token=${streamToken}`)).rejects.toThrow(`HTTP 401: {"error":"unauthorized","message":"${message}"}`);
      await expect(WsClient.connect(h.url, undefined, `?token=${streamToken}`)).rejects.toThrow("HTTP 401");
      // The other token's stream token still opens streams.
      const stillGood = await RawSse.open(`${h.url}/api/stream?token=${encodeURIComponent(fromB.body.token as string)}`);
      stillGood.close();
    } finally {
      await h.close();
    }
  });
});

describe("token revoke in the in-memory store", () => {
  it("ends the streams of a token revoked through the store's API", async () => {
    const tokens = createMemoryTokenStore();
    const { token, record } = await tokens.create({ accountId: "acme" });
    const h = await startHarness({ open: true, auth: { tokens } });
    try {
      const sse = await RawSse.open(`${h.url}/api/stream`, auth(token));
      const ws = await WsClient.connect(h.url, token);
      const revokedAt = Date.now();
      expect(await tokens.revoke(record.id)).toBe(true);
      await sse.done;
      expect(await closed(ws)).toBe(1008);
      expect(Date.now() - revokedAt).toBeLessThan(2_000);
      expect(sse.errors().map((e) => e.error)).toEqual(["token_revoked"]);
    } finally {
      await h.close();
    }
  });

  it("ends, at its next re-check, a stream of a token revoked in a store that cannot tell of changes", async () => {
    const inner = createMemoryTokenStore();
    const { token, record } = await inner.create({ accountId: "acme" });
    // A store without `watch` (e.g. one backed by a remote service).
    const tokens = { create: inner.create, verify: inner.verify, list: inner.list, revoke: inner.revoke };
    const h = await startHarness({ open: true, auth: { tokens, recheckMs: 200 } });
    try {
      const sse = await RawSse.open(`${h.url}/api/stream`, auth(token));
      await inner.revoke(record.id);
      const revokedAt = Date.now();
      await sse.done;
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
      expect(sse.errors().map((e) => e.error)).toEqual(["token_revoked"]);
    } finally {
      await h.close();
    }
  });
});
