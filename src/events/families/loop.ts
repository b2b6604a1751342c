/** Loops: foreach over a collection, or while a condition holds (seed 001). */
import { Type } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";
import { DurationMs, Json } from "../fields.js";

const LoopKind = Type.Union([Type.Literal("foreach"), Type.Literal("while")]);

export const LoopStarted = defineEvent(
  "loop.started",
  { loopId: Type.String({ minLength: 1 }), kind: LoopKind, total: Type.Optional(Type.Integer({ minimum: 0 })) },
  "a loop began",
);
export const LoopIteration = defineEvent(
  "loop.iteration",
  {
    loopId: Type.String({ minLength: 1 }),
    iteration: Type.Object({ index: Type.Integer({ minimum: 0 }), item: Type.Optional(Json) }),
  },
  "a loop began one iteration",
);
export const LoopCompleted = defineEvent(
  "loop.completed",
  { loopId: Type.String({ minLength: 1 }), iterations: Type.Integer({ minimum: 0 }), durationMs: DurationMs },
  "a loop ended",
);

export const loopEvents = [LoopStarted, LoopIteration, LoopCompleted] as const;
