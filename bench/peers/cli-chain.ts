/**
 * The `cli` suite's workflow file: a chain of `RUNTRAIL_BENCH_CHAIN` steps (default 10,000),
 * each needing the one before and adding 1. `runtrail run` loads it as a user's file would.
 */
import { chainWorkflow } from "./engine-runtrail.js";

export const STEPS = Number(process.env.RUNTRAIL_BENCH_CHAIN ?? 10_000);

export default chainWorkflow("chain", STEPS, (value) => value + 1);
