/**
 * The stream rows of the `bus` suite: a million events from a producer to a `for await`
 * consumer, as events per second (best of {@link ROUNDS} runs), and as live heap growth sampled
 * every {@link PROBE_EVERY} events in a separate run, so the samples' full GCs cost no throughput.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { BenchRow } from "../harness.js";
import { Keeper } from "./bus-fixtures.js";
import {
  PROBE_EVERY,
  STREAM_BUFFER,
  asyncGenerator,
  eventsOnBounded,
  eventsOnUnbounded,
  runtrailBlock,
  type StreamContender,
  type StreamRun,
} from "./bus-streams.js";

const TOTAL = 1_000_000;
/** The heap's peak up to this many events is compared with its peak over all of them. */
const EARLY = 100_000;
const ROUNDS = 3;
const MIB = 1024 * 1024;

/** A full GC, so a heap sample counts live objects only; `undefined` where the VM will not give one. */
function loadGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return exposed as () => void;
  // The flag puts `gc` on contexts created after it; the evaluated text is this constant.
  setFlagsFromString("--expose-gc");
  const gc: unknown = runInNewContext("gc");
  return typeof gc === "function" ? (gc as () => void) : undefined;
}

const ignore = (): void => undefined;

async function runChecked(contender: StreamContender, total: number, probe: (n: number) => void): Promise<StreamRun> {
  const keeper = new Keeper();
  const run = await contender.run(total, keeper, probe);
  if (run.consumed !== total || keeper.count !== total) {
    throw new Error(`${contender.name}: consumed ${run.consumed}, kept ${keeper.count}, expected ${total}`);
  }
  return run;
}

interface Throughput {
  readonly eventsPerSecond: number;
  readonly waits: number;
}

async function throughput(contenders: readonly StreamContender[]): Promise<Map<StreamContender, Throughput>> {
  for (const contender of contenders) await runChecked(contender, EARLY, ignore);
  const best = new Map<StreamContender, Throughput>();
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(k + round) % contenders.length]!;
      const start = process.hrtime.bigint();
      const run = await runChecked(contender, TOTAL, ignore);
      const eventsPerSecond = TOTAL / (Number(process.hrtime.bigint() - start) / 1e9);
      if (eventsPerSecond > (best.get(contender)?.eventsPerSecond ?? 0)) {
        best.set(contender, { eventsPerSecond, waits: run.waits });
      }
    }
  }
  return best;
}

interface HeapPeaks {
  /** Peak growth over the heap before the run, in MiB, while the first {@link EARLY} events were produced. */
  readonly early: number;
  readonly total: number;
}

async function heapPeaks(contender: StreamContender, gc: (() => void) | undefined): Promise<HeapPeaks> {
  gc?.();
  const base = process.memoryUsage().heapUsed;
  let early = -Infinity;
  let total = -Infinity;
  await runChecked(contender, TOTAL, (produced) => {
    gc?.();
    const growth = (process.memoryUsage().heapUsed - base) / MIB;
    if (produced <= EARLY) early = Math.max(early, growth);
    total = Math.max(total, growth);
  });
  return { early, total };
}

const every = (waits: number): string => (waits === 0 ? "never" : `${waits} times, once per ${(TOTAL / waits).toFixed(1)} events`);

/**
 * Measures the streams and returns their rows: throughput, then heap growth to 100k and to 1M.
 *
 * @example
 * rows.push(...(await streamRows()));
 */
export async function streamRows(): Promise<BenchRow[]> {
  const peers = [eventsOnBounded, eventsOnUnbounded];
  const all = [runtrailBlock, ...peers, asyncGenerator];
  const speed = await throughput(all);
  const gc = loadGc();
  const heap = new Map<StreamContender, HeapPeaks>();
  for (const contender of all) heap.set(contender, await heapPeaks(contender, gc));

  const name = `1M events, for await, bounded ${STREAM_BUFFER.toLocaleString("en-US")}`;
  const of = <T>(values: ReadonlyMap<StreamContender, T>, pick: (value: T) => number) => ({
    runtrail: pick(values.get(runtrailBlock)!),
    peers: Object.fromEntries(peers.map((peer) => [peer.name, pick(values.get(peer)!)])),
    limit: { name: asyncGenerator.name, value: pick(values.get(asyncGenerator)!) },
  });
  const sampling = gc
    ? `live heap after a full GC, sampled every ${PROBE_EVERY.toLocaleString("en-US")} events produced, minus the heap before the run`
    : `heapUsed (no GC available, garbage included), sampled every ${PROBE_EVERY.toLocaleString("en-US")} events produced`;
  const runtrailHeap = heap.get(runtrailBlock)!;
  return [
    {
      case: name,
      metric: "throughput",
      unit: "events/s",
      ...of(speed, (value) => value.eventsPerSecond),
      higherIsBetter: true,
      note:
        `producer waited: runtrail ${every(speed.get(runtrailBlock)!.waits)}; ` +
        `events.on hwm ${every(speed.get(eventsOnBounded)!.waits)} (resumes at lowWaterMark 1); ` +
        "events.on unbounded never waits: its buffer has no bound",
    },
    {
      case: name,
      metric: `heap growth, peak over the first ${EARLY.toLocaleString("en-US")} events`,
      unit: "MiB",
      ...of(heap, (value) => value.early),
      note: sampling,
    },
    {
      case: name,
      metric: `heap growth, peak over all ${TOTAL.toLocaleString("en-US")} events`,
      unit: "MiB",
      ...of(heap, (value) => value.total),
      note: `runtrail peak at 1M minus peak at 100k: ${(runtrailHeap.total - runtrailHeap.early).toFixed(2)} MiB`,
    },
  ];
}
