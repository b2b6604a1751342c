/**
 * The handlers `order-spec.yaml` names. `runtrail run examples/order-spec.yaml` finds them here
 * because this module sits beside the spec and is named after it (`<spec>.handlers.ts`).
 */
import type { StepContext } from "../src/engine/index.js";

export const fetchOrder = (): { id: string; lines: number[] } => ({ id: "o-1", lines: [12.5, 30, 7.5] });

export const sumLines = (ctx: StepContext): number => (ctx.input as number[]).reduce((a, b) => a + b, 0);

export const ship = (ctx: StepContext): string => {
  // The carrier API fails the first time; the spec's retry setting runs it again.
  if (ctx.attempt === 1) throw new Error("carrier busy");
  return `shipped on attempt ${ctx.attempt}`;
};
