/**
 * The `engine` suite (`npm run bench -- engine`): what running a step costs in Runtrail's engine,
 * side by side with a plain loop of awaited async functions (the limit), Mastra's workflow
 * engine and LangGraph.js, on linear chains of 50, 1,000 and 10,000 trivial steps and a
 * 1,000-wide fan-out; then what each event family adds to a 1,000-step chain.
 *
 * Per-step time is a whole run's time divided by its steps; "over the plain loop" subtracts the
 * plain loop's per-step time on the same shape. The plain loop and Runtrail, on every shape, are
 * measured in one rotation of {@link ROUNDS} rounds (each round a median of samples, the best
 * round kept), so comparisons across lengths are made under the same load. Each run checks its answer, and
 * every Runtrail run's event count is verified after timing: a fast row is never a broken one.
 */
import { createBus } from "../../src/index.js";
import { collectGarbage, measure, type BenchRow } from "../harness.js";
import { busFloor } from "../peers/engine-bus-floor.js";
import { families } from "../peers/engine-families.js";
import { langgraph } from "../peers/engine-langgraph.js";
import { mastra } from "../peers/engine-mastra.js";
import { chainWorkflow, eventsPerRun, prepareTrail, runtrail } from "../peers/engine-runtrail.js";
import { label, plainLoop, stepsOf, type EngineContender, type Prepared, type Shape } from "../peers/engine-shapes.js";

const SHAPES: readonly Shape[] = [
  { kind: "chain", steps: 50 },
  { kind: "chain", steps: 1_000 },
  { kind: "chain", steps: 10_000 },
  { kind: "fanout", width: 1_000 },
];
const FAMILY_STEPS = 1_000;
const ROUNDS = 5;
/** Runs per sample are chosen so a sample lasts about this long. */
const SAMPLE_MS = 40;
/** Untimed runs first, about this long in all, so the JIT has settled. */
const WARMUP_MS = 300;
/** A peer whose run would take longer than this is not run at that size (the row says so). */
const PEER_RUN_LIMIT_MS = 20_000;
const US = "µs";

const PLAIN = plainLoop.name;
const RUNTRAIL = runtrail(true);
const QUIET = runtrail(false);
const PEERS: readonly EngineContender[] = [mastra, langgraph];

/** µs per step of each contender on one shape; a missing peer has a reason instead. */
interface ShapeTimes {
  readonly shape: Shape;
  readonly perStep: Map<string, number>;
  readonly skipped: Map<string, string>;
}

const began = performance.now();
// A full collection before each measurement (collectGarbage): a 1,000-step Mastra run or a
// snapshot-heavy chain leaves a lot of garbage for the next contender otherwise.

const log = (line: string): void => void process.stderr.write(`  engine ${((performance.now() - began) / 1_000).toFixed(0)} s: ${line}\n`);

async function timeOnce(prepared: Prepared): Promise<number> {
  const start = performance.now();
  await prepared.run();
  return performance.now() - start;
}

/** ms per run, from one cold run and (when runs are quick) a short warm batch. */
async function calibrate(prepared: Prepared): Promise<number> {
  const cold = await timeOnce(prepared);
  if (cold > 50) return cold;
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < 30) {
    await prepared.run();
    runs++;
  }
  return (performance.now() - start) / runs;
}

/** Median µs per step of `prepared` over `samples` samples, after warm-up, then verified. */
async function perStep(prepared: Prepared, steps: number, runMs: number, samples: number): Promise<number> {
  const iterations = Math.max(1, Math.round(SAMPLE_MS / runMs));
  const warmup = runMs > 1_000 ? 0 : Math.max(iterations, Math.ceil(WARMUP_MS / runMs));
  collectGarbage();
  const ns = await measure(() => prepared.run(), { iterations, samples, warmup });
  prepared.verify();
  return ns / 1_000 / steps;
}

/**
 * Times each prepared contender in {@link ROUNDS} rounds, rotating the order; each round is the
 * median of its samples, and each contender keeps its best round: on a shared machine other
 * processes only ever add time, so the least disturbed round is the closest to the real cost.
 */
async function rotate(entries: readonly (readonly [string, Prepared, number])[]): Promise<Map<string, number>> {
  const runMs = new Map<string, number>();
  for (const [name, prepared] of entries) runMs.set(name, await calibrate(prepared));
  const rounds = new Map<string, number[]>(entries.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < entries.length; k++) {
      const [name, prepared, steps] = entries[(k + round) % entries.length]!;
      rounds.get(name)!.push(await perStep(prepared, steps, runMs.get(name)!, 7));
    }
  }
  return new Map([...rounds].map(([name, values]) => [name, Math.min(...values)]));
}

/**
 * Whether a peer can run a chain of `steps` within {@link PEER_RUN_LIMIT_MS}. Runs cannot be
 * stopped midway (a run that never yields to the event loop starves any timer), so it is
 * projected instead: from the peer's largest measured chain and one run at twice that length,
 * per-step time is extrapolated along the power law through the two. Returns a reason to skip.
 */
async function tooSlow(peer: EngineContender, smaller: readonly ShapeTimes[], steps: number): Promise<string | undefined> {
  const largest = smaller[smaller.length - 1];
  const measuredAt = largest === undefined ? undefined : stepsOf(largest.shape);
  const perStepThere = largest?.perStep.get(peer.name);
  if (measuredAt === undefined || perStepThere === undefined || steps <= 2 * measuredAt) return undefined;
  const probeSteps = 2 * measuredAt;
  log(`${peer.name}: one run of a ${probeSteps.toLocaleString("en-US")}-step chain, to project ${steps.toLocaleString("en-US")}`);
  const probe = await peer.prepare({ kind: "chain", steps: probeSteps });
  const probePerStep = ((await timeOnce(probe)) * 1_000) / probeSteps;
  const exponent = Math.max(0, Math.log(probePerStep / perStepThere) / Math.log(2));
  const projectedMs = (probePerStep * (steps / probeSteps) ** exponent * steps) / 1_000;
  if (projectedMs <= PEER_RUN_LIMIT_MS) return undefined;
  const n = (k: number): string => k.toLocaleString("en-US");
  return (
    `${peer.name} not run at ${n(steps)}: ${fmt(perStepThere)} µs/step at ${n(measuredAt)}, ${fmt(probePerStep)} at ${n(probeSteps)} (one run), ` +
    `per-step time ∝ steps^${exponent.toFixed(2)}, so one run would take ~${Math.round(projectedMs / 1_000)} s`
  );
}

/**
 * The plain loop and Runtrail (with and without a listener) on every shape, all in one rotation:
 * comparisons across chain lengths are then made under the same load, not minutes apart.
 */
async function timeOurs(): Promise<Map<string, number>> {
  log("plain loop and runtrail on every shape");
  const entries: (readonly [string, Prepared, number])[] = [];
  for (const shape of SHAPES) {
    for (const contender of [plainLoop, RUNTRAIL, QUIET]) {
      entries.push([`${contender.name}@${label(shape)}`, await contender.prepare(shape), stepsOf(shape)]);
    }
  }
  return rotate(entries);
}

async function timeShape(shape: Shape, ours: ReadonlyMap<string, number>, smaller: readonly ShapeTimes[]): Promise<ShapeTimes> {
  const steps = stepsOf(shape);
  const perStepTimes = new Map<string, number>();
  for (const contender of [plainLoop, RUNTRAIL, QUIET]) perStepTimes.set(contender.name, ours.get(`${contender.name}@${label(shape)}`)!);
  const skipped = new Map<string, string>();
  for (const peer of PEERS) {
    const reason = await tooSlow(peer, smaller, steps);
    if (reason !== undefined) {
      skipped.set(peer.name, reason);
      continue;
    }
    log(`${label(shape)}: ${peer.name}`);
    const prepared = await peer.prepare(shape);
    const runMs = await timeOnce(prepared);
    perStepTimes.set(peer.name, await perStep(prepared, steps, runMs, runMs > 500 ? 3 : 5));
  }
  return { shape, perStep: perStepTimes, skipped };
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n >= 1 ? n.toFixed(2) : n.toPrecision(3));
const verdict = (ok: boolean): string => (ok ? "met" : "MISSED");

function present(times: ShapeTimes, names: readonly string[], map: (value: number) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    const value = times.perStep.get(name);
    if (value !== undefined) out[name] = map(value);
  }
  return out;
}

function shapeRows(times: ShapeTimes): BenchRow[] {
  const get = (name: string): number => times.perStep.get(name)!;
  const plain = get(PLAIN);
  const ours = get(RUNTRAIL.name);
  const others = [QUIET.name, ...PEERS.map((peer) => peer.name)];
  const skips = [...times.skipped.values()];
  const over = ours - plain;
  const targets = [`target ≤2 µs over the plain loop with a listener: ${verdict(over <= 2)} (${fmt(over)} µs)`];
  for (const peer of PEERS) {
    const theirs = times.perStep.get(peer.name);
    if (theirs === undefined) continue;
    const times_ = (theirs - plain) / over;
    targets.push(peer === mastra ? `target >100× less than Mastra: ${verdict(times_ > 100)} (${fmt(times_)}×)` : `${peer.name} costs ${fmt(times_)}× as much`);
  }
  return [
    {
      case: label(times.shape),
      metric: "µs per step (run time ÷ steps)",
      unit: US,
      runtrail: ours,
      peers: present(times, others, (v) => v),
      limit: { name: PLAIN, value: plain },
      ...(skips.length > 0 ? { note: skips.join("; ") } : {}),
    },
    {
      case: label(times.shape),
      metric: "µs per step over the plain loop",
      unit: US,
      runtrail: over,
      peers: present(times, others, (v) => v - plain),
      note: targets.join("; "),
    },
  ];
}

/** Per-step time at a larger chain ÷ at 50 steps, for every contender measured at both. */
function growthRow(small: ShapeTimes, large: ShapeTimes): BenchRow {
  const ratio = (name: string): number | undefined => {
    const a = small.perStep.get(name);
    const b = large.perStep.get(name);
    return a === undefined || b === undefined ? undefined : b / a;
  };
  const peers: Record<string, number> = {};
  for (const name of [QUIET.name, ...PEERS.map((peer) => peer.name), PLAIN]) {
    const value = ratio(name);
    if (value !== undefined) peers[name] = value;
  }
  const ours = ratio(RUNTRAIL.name)!;
  return {
    case: `${label(large.shape)} vs ${label(small.shape)}`,
    metric: "per-step time, larger ÷ smaller",
    unit: "×",
    runtrail: ours,
    peers,
    note: `flat is 1.00; target flat from 50 to 10,000 steps (within ±25%): ${verdict(ours <= 1.25 && ours >= 0.8)}`,
  };
}

/**
 * The cost per added step between two chain lengths: free of per-run costs (run start and end,
 * ids, promises), which a short chain's per-step figure carries; flat means the same marginal
 * cost at every length.
 */
function marginalRows(chains: readonly ShapeTimes[]): BenchRow[] {
  const names = [RUNTRAIL.name, QUIET.name, ...PEERS.map((peer) => peer.name)];
  const total = (t: ShapeTimes, name: string): number | undefined => {
    const value = t.perStep.get(name);
    return value === undefined ? undefined : value * stepsOf(t.shape);
  };
  const rows: BenchRow[] = [];
  const marginals: number[] = [];
  for (let i = 1; i < chains.length; i++) {
    const a = chains[i - 1]!;
    const b = chains[i]!;
    const added = stepsOf(b.shape) - stepsOf(a.shape);
    const values = new Map<string, number>();
    for (const name of [...names, PLAIN]) {
      const ta = total(a, name);
      const tb = total(b, name);
      if (ta !== undefined && tb !== undefined) values.set(name, (tb - ta) / added);
    }
    const ours = values.get(RUNTRAIL.name)!;
    marginals.push(ours);
    const peers: Record<string, number> = {};
    for (const name of names.slice(1)) if (values.has(name)) peers[name] = values.get(name)!;
    rows.push({
      case: `${label(a.shape)} → ${label(b.shape)}`,
      metric: "µs per added step (marginal)",
      unit: US,
      runtrail: ours,
      peers,
      limit: { name: PLAIN, value: values.get(PLAIN)! },
      ...(i === chains.length - 1 && marginals.length > 1
        ? { note: `runtrail's marginal cost, last ÷ first: ${fmt(ours / marginals[0]!)}× (flat is 1.00)` }
        : {}),
    });
  }
  return rows;
}

async function familyRows(): Promise<BenchRow[]> {
  const n = FAMILY_STEPS;
  log(`event families on ${n.toLocaleString("en-US")}-step chains`);
  const reference = RUNTRAIL.prepare({ kind: "chain", steps: n }) as Prepared;
  const variants = families(n);
  const entries: (readonly [string, Prepared, number])[] = [
    ["plain chain", reference, n],
    ["bus floor", busFloor(n), n],
    ...variants.map((f) => [f.name, prepareTrail(f.name, f.build(), f.expected, f.eventsPerRun, true), f.steps] as const),
  ];
  const perStepTimes = await rotate(entries);
  const base = perStepTimes.get("plain chain")!;
  const limit = { name: "plain chain", value: base };
  const rows: BenchRow[] = [
    {
      case: `the bus alone: a ${n.toLocaleString("en-US")}-step chain's ${eventsPerRun({ kind: "chain", steps: n }).toLocaleString("en-US")} events, emitted by hand`,
      metric: "µs per step",
      unit: US,
      runtrail: perStepTimes.get("bus floor")!,
      peers: {},
      limit,
      note: `the trail's share of a step: ${fmt((100 * perStepTimes.get("bus floor")!) / base)}% of the plain chain's per-step time; the rest is scheduling`,
    },
  ];
  for (const family of variants) {
    const value = perStepTimes.get(family.name)!;
    const extra = family.eventsPerRun / family.steps - (2 + 5 * n) / n;
    const perEvent = extra > 0.5 && value > base ? `, ${fmt((value - base) / extra)} µs per added event` : "";
    rows.push({
      case: family.name,
      metric: `µs per step (${family.steps.toLocaleString("en-US")} steps, one listener)`,
      unit: US,
      runtrail: value,
      peers: {},
      limit,
      note: `${value >= base ? "+" : ""}${fmt(value - base)} µs per step over the plain chain${perEvent}; adds: ${family.adds}; ${fmt(family.eventsPerRun / family.steps)} events per step`,
    });
  }
  return rows;
}

const BIG_CHAIN = 100_000;

/**
 * One run of a 100,000-step chain: its per-step time beside the 1,000-step chain's (a run's state
 * is a fold, so nothing per step should stay behind), and how far the live heap grows during the
 * run (sampled after every 10,000 events by a listener, from a heap collected before the run).
 */
async function bigChainRows(chains: readonly ShapeTimes[]): Promise<BenchRow[]> {
  log(`one ${BIG_CHAIN.toLocaleString("en-US")}-step chain, 3 runs, heap sampled every 10,000 events`);
  const wf = chainWorkflow(`chain-${BIG_CHAIN}`, BIG_CHAIN, (value) => value + 1);
  const bus = createBus();
  let events = 0;
  let peak = 0;
  bus.onEvent(() => {
    if (++events % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  });
  await wf.run(0, { bus }); // warm-up
  const perStep: number[] = [];
  let growth = 0;
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    peak = before;
    const start = performance.now();
    const output = await wf.run(0, { bus });
    perStep.push(((performance.now() - start) * 1_000) / BIG_CHAIN);
    if (output !== BIG_CHAIN) throw new Error(`chain-${BIG_CHAIN}: output ${output}`);
    growth = Math.max(growth, peak - before);
  }
  const best = Math.min(...perStep);
  const thousand = chains.find((t) => stepsOf(t.shape) === 1_000)?.perStep.get(RUNTRAIL.name);
  const ten = chains.find((t) => stepsOf(t.shape) === 10_000)?.perStep.get(RUNTRAIL.name);
  const rows: BenchRow[] = [];
  if (thousand !== undefined && ten !== undefined) {
    rows.push({
      case: "chain of 10,000 steps vs 1,000",
      metric: "per-step time, larger ÷ smaller (one listener)",
      unit: "×",
      runtrail: ten / thousand,
      peers: {},
      note: `target ≤1.20: ${verdict(ten / thousand <= 1.2)}`,
    });
  }
  rows.push({
    case: `chain of ${BIG_CHAIN.toLocaleString("en-US")} steps (one run, best of 3, one listener)`,
    metric: "µs per step",
    unit: US,
    runtrail: best,
    peers: {},
    ...(thousand === undefined ? {} : { limit: { name: "runtrail at 1,000 steps", value: thousand } }),
    note: `live heap growth during the run: ${(growth / 1_048_576).toFixed(1)} MiB (${Math.round(growth / BIG_CHAIN)} bytes per step: the frame's outputs, kept for ctx.steps)`,
  });
  return rows;
}

/** The suite: shapes side by side, growth with chain length, then the event families. */
export default async function engineSuite(): Promise<BenchRow[]> {
  const ours = await timeOurs();
  const measured: ShapeTimes[] = [];
  for (const shape of SHAPES) {
    const smaller = shape.kind === "chain" ? measured.filter((t) => t.shape.kind === "chain") : [];
    measured.push(await timeShape(shape, ours, smaller));
  }
  const rows = measured.flatMap(shapeRows);
  const chains = measured.filter((t) => t.shape.kind === "chain");
  for (const large of chains.slice(1)) rows.push(growthRow(chains[0]!, large));
  rows.push(...marginalRows(chains));
  rows.push(...(await bigChainRows(chains)));
  rows.push(...(await familyRows()));
  return rows;
}
