import { createBus } from "../src/index.js";
import { chainWorkflow } from "./peers/engine-runtrail.js";
const sizes = [1_000, 10_000, 100_000];
const wfs = new Map(sizes.map((n) => [n, chainWorkflow(`c${n}`, n, (v) => v + 1)]));
const bus = createBus();
async function perStep(n: number): Promise<number> {
  const wf = wfs.get(n)!;
  const reps = Math.max(1, Math.round(200_000 / n));
  const t = performance.now();
  for (let i = 0; i < reps; i++) await wf.run(0, { bus });
  return ((performance.now() - t) * 1000) / (reps * n);
}
for (const n of sizes) await perStep(n);
for (let round = 0; round < 3; round++) {
  const out: string[] = [];
  for (const n of sizes) out.push(`${n}: ${(await perStep(n)).toFixed(2)} µs`);
  console.log(out.join("  "));
}
globalThis.gc?.();
const before = process.memoryUsage().heapUsed;
let peak = 0;
const probe = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
await wfs.get(100_000)!.run(0, { bus });
clearInterval(probe);
console.log(`100k run heap growth peak ${((peak - before) / 1048576).toFixed(1)} MiB`);
