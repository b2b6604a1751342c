// Lint what the type checker cannot: promises nobody awaits, `any`, and imports that should be type-only.
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

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
  // The dashboard: React's rules of hooks and effect dependencies.
  {
    files: ["dashboard/src/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "error" },
  },
);
