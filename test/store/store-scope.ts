/**
 * Per-test store scope for vitest suites. Kept out of store-fixtures.ts, which child processes
 * (NATS workers, crash children) import: vitest cannot be loaded outside its runner.
 */
import { afterEach } from "vitest";
import type { RunLease } from "../../src/store/index.js";
import type { OpenedStore, StoreFactory } from "./store-fixtures.js";

/**
 * A store per test and the leases it takes, for a `describe` over one factory: `open()` opens the
 * test's store; leases pushed to `leases` are closed after each test, then the store is disposed.
 */
export function storeScope(factory: StoreFactory): { readonly leases: RunLease[]; open(): Promise<OpenedStore> } {
  let opened: OpenedStore | undefined;
  const leases: RunLease[] = [];
  afterEach(async () => {
    for (const lease of leases.splice(0)) await lease.close();
    await opened?.dispose();
    opened = undefined;
  });
  return {
    leases,
    async open() {
      opened = await factory.open();
      return opened;
    },
  };
}
