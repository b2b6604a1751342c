// Lint what the type checker cannot: promises nobody awaits, `any`, imports that should be
// type-only, import cycles, and deep imports across pieces (a piece is a folder of src/ with an
// index.ts; another piece may import only that index, so a piece's inside can move freely), and
// React's rules of hooks in the dashboard.
import { readdirSync, existsSync } from "node:fs";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

/** src/<piece>/ and src/<piece>/<adapter>/ folders that have an entry point of their own. */
function pieces() {
  const found = [];
  for (const entry of readdirSync("src", { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    found.push(entry.name);
  }
  return found;
}

/** For each pair of pieces: files of one may import the other only through an index.ts. */
function pieceZones() {
  const zones = [];
  for (const target of pieces()) {
    for (const from of pieces()) {
      if (from === target) continue;
      const adapters = readdirSync(`src/${from}`, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(`src/${from}/${entry.name}/index.ts`))
        .map((entry) => `./${entry.name}/index.ts`);
      zones.push({
        target: `./src/${target}`,
        from: `./src/${from}`,
        except: ["./index.ts", ...adapters],
        message: `import src/${from} through its index (or an adapter's index), not a file inside it`,
      });
    }
  }
  return zones;
}

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "test/.readme/**", "test/dashboard/artifacts/**", ".scratch/**", "scripts/*.mjs", "eslint.config.js"] },
  {
    files: ["src/**/*.ts", "test/**/*.ts", "bench/**/*.ts", "scripts/**/*.ts", "examples/**/*.ts", "dashboard/src/**/*.{ts,tsx}", "dashboard/vite.config.ts"],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/await-thenable": "error",
    },
  },
  {
    files: ["src/**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })],
      // no-cycle parses the files it follows: with TypeScript's parser, not the default one.
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/extensions": [".ts", ".js"],
    },
    rules: {
      // Type-only imports count too: a circle of types is still a circle a reader must untie.
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-restricted-paths": ["error", { zones: pieceZones() }],
    },
  },
  // The dashboard: React's rules of hooks and effect dependencies.
  {
    files: ["dashboard/src/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "error" },
  },
);
