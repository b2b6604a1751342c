/**
 * The workflows of the crash recovery tests, shared by the process that is killed and the one
 * that recovers: each step's call appends its id to the calls file, and the step that is
 * running at the kill waits (in the killed process only) until the process dies.
 */
import { appendFileSync } from "node:fs";
import { workflow } from "../../src/index.js";

/** Set in the process that will be killed: the blocking step never ends there. */
export const BLOCK_ENV = "RUNTRAIL_TEST_BLOCK";

/** Builds the workflows counting calls into `calls`. `onBlock` is told when the blocking step is in. */
export function countingWorkflows(calls: string, onBlock: (stepId: string) => void = () => undefined) {
  const count = (step: string): void => appendFileSync(calls, `${step}\n`);
  const block = async (step: string): Promise<void> => {
    if (process.env[BLOCK_ENV] !== "1") return;
    onBlock(step);
    await new Promise(() => undefined);
  };
  const orders = workflow<{ amount: number }>("orders", { version: "1", recover: "resume" })
    .step("load", (ctx) => {
      count("load");
      return ctx.input.amount;
    })
    .step("price", (ctx) => {
      count("price");
      return ctx.steps.load * 2;
    }, { needs: ["load"] })
    .step("ship", async (ctx) => {
      count("ship");
      await block("ship");
      return `shipped ${ctx.steps.price}`;
    }, { needs: ["price"] })
    .step("notify", (ctx) => {
      count("notify");
      return { done: ctx.steps.ship };
    }, { needs: ["ship"] })
    .build();
  const payments = workflow<{ amount: number }>("payments", { version: "1", recover: "resume" })
    .step("load", (ctx) => {
      count("load");
      return ctx.input.amount;
    })
    .step("charge", async (ctx) => {
      count("charge");
      await block("charge");
      return { charged: ctx.steps.load };
    }, { needs: ["load"], idempotent: false })
    .build();
  return { orders, payments };
}
