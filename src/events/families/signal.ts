/** Signals: what a waiting step (`ctx.waitFor`) received from outside, or that its wait timed out. */
import { Type } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";
import { Json } from "../fields.js";

export const SignalReceived = defineEvent(
  "signal.received",
  {
    signal: Type.String({ minLength: 1 }),
    /** Which `waitFor` of the step's attempt it ended (0 for the first). */
    index: Type.Integer({ minimum: 0 }),
    payload: Type.Optional(Json),
    /** Who sent it: `caller`, an API token's name, the CLI. */
    by: Type.Optional(Type.String()),
  },
  "a signal a step waited for arrived; its payload is what waitFor returns",
);
export const SignalTimedOut = defineEvent(
  "signal.timeout",
  {
    signal: Type.String({ minLength: 1 }),
    index: Type.Integer({ minimum: 0 }),
    timeoutMs: Type.Number({ minimum: 0 }),
    /** What the step chose: `fail` (waitFor throws) or `resume` (waitFor returns its timeoutValue). */
    action: Type.Union([Type.Literal("fail"), Type.Literal("resume")]),
  },
  "no signal came within a wait's timeout",
);

export const signalEvents = [SignalReceived, SignalTimedOut] as const;
