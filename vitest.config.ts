import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests and README examples import the package by its public names (package.json `exports`).
    alias: [
      { find: /^runtrail$/, replacement: src("index.ts") },
      { find: /^runtrail\/sqlite$/, replacement: src("store/sqlite/index.ts") },
      { find: /^runtrail\/postgres$/, replacement: src("store/postgres/index.ts") },
      { find: /^runtrail\/server$/, replacement: src("server/index.ts") },
      { find: /^runtrail\/nats$/, replacement: src("bridges/nats/index.ts") },
      { find: /^runtrail\/otel$/, replacement: src("bridges/otel/index.ts") },
      { find: /^runtrail\/cloudevents$/, replacement: src("bridges/cloudevents/index.ts") },
      { find: /^runtrail\/asyncapi$/, replacement: src("asyncapi/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
