/**
 * Per-test NATS setup for the bridge tests (vitest only: the child processes the tests start
 * import nats-fixtures.ts, which must not load vitest).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach } from "vitest";
import { natsConnect, testStream, type TestNames } from "./nats-fixtures.js";

/**
 * The file's cleanups, run after each test newest first, and a `setup` that opens a connection
 * with a fresh stream, both cleaned up after the test.
 *
 * @example
 * const { cleanups, setup } = natsTestScope();
 * const { nc, names } = await setup();
 */
export function natsTestScope(): {
  readonly cleanups: (() => Promise<unknown>)[];
  setup(): Promise<{ readonly nc: NatsConnection; readonly names: TestNames & { dispose(): Promise<void> } }>;
} {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    cleanups,
    async setup() {
      const nc = await natsConnect();
      cleanups.push(() => nc.close());
      const names = await testStream(nc);
      cleanups.push(() => names.dispose());
      return { nc, names };
    },
  };
}
