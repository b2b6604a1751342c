/**
 * Runs every ```ts block of README.md, so the tour can never drift from the code.
 * Each block is written to a file under test/.readme/ and imported (its assertions run on import).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, describe, it } from "vitest";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
const dir = new URL("./.readme/", import.meta.url);

describe("README examples", () => {
  mkdirSync(dir, { recursive: true });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has examples", () => {
    if (blocks.length < 4) throw new Error(`expected the README's tour, found ${blocks.length} ts blocks`);
  });

  blocks.forEach((code, index) => {
    const firstLine = code.split("\n").find((line) => line.startsWith("//")) ?? `block ${index + 1}`;
    it(`block ${index + 1} runs (${firstLine.slice(0, 60)})`, async () => {
      const file = new URL(`block-${index + 1}.ts`, dir);
      writeFileSync(file, code);
      await import(/* @vite-ignore */ file.href);
    });
  });
});
