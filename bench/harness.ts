/**
 * The benchmark harness: every suite measures Runtrail and its peers side by side in one process,
 * after warm-up, as the median of several samples, and reports ratios (absolute times on shared
 * machines are noisy; ratios within one run are not).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A full garbage collection, so a memory figure is what is retained rather than what the
 * collector has not got to yet, and no contender pays for the garbage of the one before it.
 * `gc` is exposed at run time because `npm run bench` starts node without `--expose-gc`.
 */
export function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** One measured quantity: Runtrail's value, each peer's, and the limit (the fastest possible). */
export interface BenchRow {
  case: string;
  metric: string;
  unit: string;
  runtrail: number;
  peers: Record<string, number>;
  limit?: { name: string; value: number };
  /** Whether a bigger number is better (events/s) or worse (ns per emit). Default: lower is better. */
  higherIsBetter?: boolean;
  note?: string;
}

/** A suite: measures and returns its rows. */
export type Suite = () => Promise<BenchRow[]>;

export interface MeasureOptions {
  /** Calls of `fn` per sample. */
  iterations: number;
  /** Samples; the median is reported. Default 7. */
  samples?: number;
  /** Untimed calls first, so the JIT has settled. Default: one sample's worth. */
  warmup?: number;
}

/**
 * The median time per call of `fn`, in nanoseconds.
 *
 * @example
 * const ns = await measure(() => bus.emit(event()), { iterations: 100_000 });
 */
export async function measure(fn: (i: number) => unknown, options: MeasureOptions): Promise<number> {
  const { iterations, samples = 7, warmup = iterations } = options;
  for (let i = 0; i < warmup; i++) await settle(fn(i));
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await settle(fn(i));
    times.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  return median(times);
}

/** Like {@link measure}, for code that is never async: no await per call, so nothing is added. */
export function measureSync(fn: (i: number) => unknown, options: MeasureOptions): number {
  const { iterations, samples = 7, warmup = iterations } = options;
  for (let i = 0; i < warmup; i++) fn(i);
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    times.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  return median(times);
}

/** The median of the numbers, which must not be empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0..100) of the numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

function settle(value: unknown): unknown {
  return value instanceof Promise ? value : undefined;
}

const fmt = (n: number): string =>
  n >= 100 ? Math.round(n).toLocaleString("en-US") : n >= 1 ? n.toFixed(2) : n.toPrecision(3);

/** Prints a suite's rows as a table with ratios and writes `bench/results/<suite>.json`. */
export function report(suite: string, rows: readonly BenchRow[]): void {
  console.log(`\n## ${suite}\n`);
  for (const row of rows) {
    const parts = [`${row.case} · ${row.metric}: runtrail ${fmt(row.runtrail)} ${row.unit}`];
    for (const [name, value] of Object.entries(row.peers)) {
      parts.push(`${name} ${fmt(value)} (runtrail ×${(row.runtrail / value).toFixed(2)})`);
    }
    if (row.limit) parts.push(`limit ${row.limit.name} ${fmt(row.limit.value)} (×${(row.runtrail / row.limit.value).toFixed(2)})`);
    console.log(`- ${parts.join(" | ")}${row.note ? `  [${row.note}]` : ""}`);
  }
  const dir = join(dirname(fileURLToPath(import.meta.url)), "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ suite, node: process.version, measuredAt: new Date().toISOString(), rows }, null, 2)}\n`,
  );
  console.log(`\n(wrote ${file})`);
}
