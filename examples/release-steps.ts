/**
 * The handlers of `release-train.yaml`. Each waits `input.delayMs` (default 0) so the live view
 * has something to show; `flakyTests` fails its first two attempts; `deploy` always fails.
 */
import type { StepContext } from "../src/engine/index.js";

const pause = (ctx: StepContext): Promise<void> => {
  const ms = Number((ctx.input as { delayMs?: number } | undefined)?.delayMs ?? 0);
  return new Promise((resolve) => setTimeout(resolve, ms));
};

export async function build(ctx: StepContext): Promise<string> {
  await pause(ctx);
  ctx.vars.set("stage", "built");
  return "artifact-2.0.0.tgz";
}

export async function lint(ctx: StepContext): Promise<number> {
  await pause(ctx);
  return 0;
}

export async function flakyTests(ctx: StepContext): Promise<{ passed: number; failures: number }> {
  await pause(ctx);
  if (ctx.attempt < 3) throw new Error("3 of 120 tests timed out");
  ctx.vars.set("stage", "tested");
  return { passed: 120, failures: 0 };
}

export async function canary(ctx: StepContext): Promise<string> {
  await pause(ctx);
  return "canary healthy";
}

export async function deploy(ctx: StepContext): Promise<never> {
  await pause(ctx);
  ctx.vars.set("stage", "deploying");
  throw new Error("cluster prod-eu refused the rollout: quota exceeded");
}
