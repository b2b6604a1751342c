/**
 * A running server follows its token file: the file appearing ends open mode (said in the log,
 * and open streams end with `token_revoked`); a file that does not parse keeps the server from
 * starting and stops a running one, naming the file and the line and column, never a server
 * that answers every request with an error; a write in place that completes in time does not;
 * a removed file refuses every token and does not reopen open mode.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFileTokenStore, TokenFileError } from "../../src/server/index.js";
import { cliCreateToken, RawSse, waitUntil } from "./auth-streams.js";
import { auth, call, startHarness, WsClient, type Harness, type HarnessOptions } from "./server-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "runtrail-token-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = (): string => join(dir, `tokens-${++files}.json`);

/** A server following `file`, its notices and fatal errors recorded. */
async function follow(file: string, options: HarnessOptions = {}): Promise<{ h: Harness; notices: string[]; fatal: Error[] }> {
  const notices: string[] = [];
  const fatal: Error[] = [];
  const h = await startHarness({ open: true, auth: { tokenFile: file }, onNotice: (message) => notices.push(message), onFatal: (error) => fatal.push(error), ...options });
  return { h, notices, fatal };
}

describe("a token file that appears after the start", () => {
  it("ends open mode: the log says so, open streams end with token_revoked, requests need a token", async () => {
    const file = freshFile();
    const { h, notices } = await follow(file);
    try {
      expect(notices).toEqual([
        'no API tokens configured: listening on loopback (127.0.0.1) only; every request acts for account "default"',
        `following the token file ${file}: open mode ends when it appears`,
      ]);
      expect((await call(h, "GET", "/api/runs")).status).toBe(200);
      const sse = await RawSse.open(`${h.url}/api/stream`);
      const ws = await WsClient.connect(h.url);

      const createdAt = Date.now();
      const { token } = await cliCreateToken(file, "acme");
      await sse.done;
      await waitUntil("the WebSocket to close", () => ws.closeCode !== undefined);
      expect(Date.now() - createdAt).toBeLessThan(2_000);
      const message = `the server now requires API tokens (its token file ${file} appeared); reconnect with one`;
      expect(sse.errors()).toEqual([{ error: "token_revoked", message }]);
      expect(ws.messages.at(-1)).toEqual({ type: "error", code: "token_revoked", message });
      expect(ws.closeCode).toBe(1008);
      expect(notices.at(-1)).toBe(`token file ${file} appeared: leaving open mode; every request now needs an API token`);

      expect(await call(h, "GET", "/api/runs")).toMatchObject({ status: 401, body: { error: "unauthorized" } });
      await expect(WsClient.connect(h.url)).rejects.toThrow("HTTP 401");
      expect((await call(h, "GET", "/api/runs", token)).status).toBe(200);
      expect(((await (await fetch(`${h.url}/api`)).json()) as { auth: string }).auth).toBe("bearer token");
    } finally {
      await h.close();
    }
  });
});

describe("a token file that does not parse", () => {
  it("keeps the server from starting, naming the file, the line and the column", async () => {
    const file = freshFile();
    writeFileSync(file, '{\n  "version": 1,\n  "tokens": [\n    { "id": "abc", }\n  ]\n}\n');
    const error = await startHarness({ open: true, auth: { tokenFile: file } }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(TokenFileError);
    expect((error as Error).message).toBe(`token file ${file}:4:20: is not valid JSON: expected a property name in double quotes`);
  });

  it("names the field of a record of the wrong shape", async () => {
    const file = freshFile();
    await cliCreateToken(file, "acme");
    writeFileSync(file, readFileSync(file, "utf8").replace(/"hash": "[0-9a-f]+"/, '"hash": "not-a-hash"'));
    await expect(startHarness({ open: true, auth: { tokenFile: file } })).rejects.toThrow(`token file ${file}:tokens[0].hash: must be the token's SHA-256 as 64 lowercase hex digits`);
    // The CLI's own commands say the same.
    await expect(createFileTokenStore(file).list()).rejects.toThrow(`token file ${file}:tokens[0].hash`);
  });

  it("stops a running server on it, with the file and position; until then the last good tokens hold, never an internal error", async () => {
    const file = freshFile();
    const { token } = await cliCreateToken(file, "acme");
    const { h, fatal } = await follow(file, { auth: { tokenFile: file, tokenFileOptions: { settleMs: 1_000 } } });
    try {
      const sse = await RawSse.open(`${h.url}/api/stream`, auth(token));
      writeFileSync(file, '{"version": 1, "tokens": [\n  {"id": "x"}\n  {"id": "y"}\n]}\n');
      // Within the settle time (a write in place may not be complete yet): the last good tokens.
      expect((await call(h, "GET", "/api/runs", token)).status).toBe(200);
      await waitUntil("the server to stop", () => fatal.length > 0, 5_000);
      expect(fatal[0]).toBeInstanceOf(TokenFileError);
      expect(fatal[0]!.message).toBe(`token file ${file}:3:3: is not valid JSON: expected ',' or ']'`);
      await sse.done;
      await expect(fetch(`${h.url}/api/runs`, { headers: auth(token) })).rejects.toThrow();
    } finally {
      await h.close();
    }
  });

  it("does not stop the server for a write in place that completes within the settle time", async () => {
    const file = freshFile();
    const { token } = await cliCreateToken(file, "acme");
    const whole = readFileSync(file, "utf8");
    const { h, fatal } = await follow(file, { auth: { tokenFile: file, tokenFileOptions: { settleMs: 1_500 } } });
    try {
      // An editor writing in place: first half, the server notices, then the rest.
      writeFileSync(file, whole.slice(0, 40));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await call(h, "GET", "/api/runs", token)).status).toBe(200);
      appendFileSync(file, whole.slice(40));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(fatal).toEqual([]);
      expect((await call(h, "GET", "/api/runs", token)).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe("a token file removed while serving", () => {
  it("refuses every token, ends their streams, and stays in token mode", async () => {
    const file = freshFile();
    const { token, id } = await cliCreateToken(file, "acme");
    const { h, notices } = await follow(file);
    try {
      const sse = await RawSse.open(`${h.url}/api/stream`, auth(token));
      rmSync(file);
      await sse.done;
      expect(sse.errors()).toEqual([{ error: "token_revoked", message: `the API token ${id} this stream was opened with has been revoked` }]);
      await waitUntil("the notice", () => notices.some((n) => n.includes("was removed")));
      expect(notices.at(-1)).toBe(`token file ${file} was removed: every API token is refused (the server stays in token mode; restart it to serve in open mode)`);
      expect((await call(h, "GET", "/api/runs", token)).status).toBe(401);
      expect((await call(h, "GET", "/api/runs")).status).toBe(401);
    } finally {
      await h.close();
    }
  });
});
