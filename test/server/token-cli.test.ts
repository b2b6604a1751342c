import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tokenCommand } from "../../src/cli/token-command.js";
import { createFileTokenStore, hashToken } from "../../src/server/index.js";

const dir = mkdtempSync(join(tmpdir(), "runtrail-tokens-"));
const file = join(dir, "tokens.json");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await tokenCommand((line) => lines.push(line)).parseAsync([...args, "--file", file], { from: "user" });
  return lines;
}

describe("runtrail token", () => {
  it("creates a token that the server's file store verifies, stored hashed only", async () => {
    const [token, note] = await run("create", "--account", "acme", "--read-only", "--label", "ci");
    expect(token).toMatch(/^rt_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(note).toContain("account acme, read-only");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(token!.slice(16));
    expect(text).toContain(hashToken(token!));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const store = createFileTokenStore(file);
    expect(await store.verify(token!)).toEqual({ tokenId: token!.slice(3, 15), accountId: "acme", readOnly: true });
    expect(await store.verify(token!.slice(0, -1) + (token!.endsWith("A") ? "B" : "A"))).toBeUndefined();
  });

  it("lists and revokes; a running server's store sees the revocation", async () => {
    const [token] = await run("create", "--account", "globex");
    const store = createFileTokenStore(file);
    expect((await store.verify(token!))?.accountId).toBe("globex");
    const listed = await run("list");
    expect(listed.map((line) => line.split("\t")[1])).toEqual(["acme", "globex"]);
    const id = token!.slice(3, 15);
    expect(await run("revoke", id)).toEqual([`revoked ${id}`]);
    expect(await store.verify(token!)).toBeUndefined();
    await expect(run("revoke", id)).rejects.toThrow(`no token with id ${id}`);
  });

  it("refuses an invalid account id", async () => {
    await expect(run("create", "--account", "a b")).rejects.toThrow('invalid account id "a b"');
  });
});
