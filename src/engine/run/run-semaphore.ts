/**
 * Concurrency limits: a counting semaphore for the run's step slots and a pool that runs tasks
 * with at most N in flight. Acquiring a free slot costs no promise.
 */

/** A counting semaphore. `acquire` returns undefined when a slot was free, else a promise for one. */
export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  private head = 0;

  constructor(readonly limit: number) {}

  acquire(): Promise<void> | undefined {
    if (this.active < this.limit) {
      this.active++;
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    if (this.head < this.waiters.length) {
      // The slot passes straight to the next waiter: `active` stays the same.
      const next = this.waiters[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters.splice(0, this.head);
        this.head = 0;
      }
      next();
      return;
    }
    this.active--;
  }
}

/**
 * Runs `task(0..count-1)` with at most `limit` in flight, in index order; stops starting new
 * ones once `stopped()` is true. Resolves when every started task has settled.
 */
export async function runPool(
  count: number,
  limit: number,
  task: (index: number) => Promise<void>,
  stopped: () => boolean,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !stopped()) await task(next++);
  };
  const workers: Promise<void>[] = [];
  const n = Math.min(limit, count);
  for (let w = 0; w < n; w++) workers.push(worker());
  await Promise.all(workers);
}
