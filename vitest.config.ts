import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The glibc settings the README recommends for a server (see "Live streams", stalled clients): with
// them memory freed after a burst of socket writes goes back to the OS, so the stalled-clients test
// can hold RSS to its bound. Set before the test processes (forks) start, so they inherit them.
process.env.MALLOC_MMAP_THRESHOLD_ ??= "65536";
process.env.MALLOC_TRIM_THRESHOLD_ ??= "65536";

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
