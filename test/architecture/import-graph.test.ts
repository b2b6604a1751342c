/**
 * The house keeps its shape (issue 13, item 8): no import circle anywhere in src/ (type-only
 * imports included), and no piece reaching into another piece's files instead of its index.
 * The lint rules that enforce it are shown to fail on a planted circle and a planted deep import.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import madge from "madge";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("the import graph", () => {
  it("has no circle in src/, type-only imports included (madge)", async () => {
    const graph = await madge(`${root}src`, { fileExtensions: ["ts"], tsConfig: `${root}tsconfig.json` });
    expect(graph.circular()).toEqual([]);
  }, 120_000);

  describe("lint rules fail on what they forbid", () => {
    const planted = `${root}src/zz-planted-${process.pid}`;
    afterAll(() => rmSync(planted, { recursive: true, force: true }));

    it("a planted circle and a planted deep import are errors", async () => {
      mkdirSync(planted, { recursive: true });
      writeFileSync(`${planted}/index.ts`, `export { a } from "./a.js";\n`);
      writeFileSync(`${planted}/a.ts`, `import { b } from "./b.js";\nexport const a = (): number => b() + 1;\n`);
      writeFileSync(`${planted}/b.ts`, `import { a } from "./a.js";\nexport const b = (): number => (a.length > 0 ? 1 : 0);\n`);
      writeFileSync(`${planted}/deep.ts`, `import { createBus } from "../bus/bus.js";\nexport const bus = createBus();\n`);
      const eslint = new ESLint({ cwd: root });
      const results = await eslint.lintFiles([`${planted}/a.ts`, `${planted}/deep.ts`]);
      const rules = results.flatMap((result) => result.messages.map((message) => `${result.filePath.split("/").pop()} ${message.ruleId}`));
      expect(rules).toContain("a.ts import-x/no-cycle");
      expect(rules).toContain("deep.ts import-x/no-restricted-paths");
    }, 120_000);
  });
});
