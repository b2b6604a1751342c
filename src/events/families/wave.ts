/** A wave: a set of steps whose dependencies were met together and that run in parallel (seed 004). */
import { Type } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";
import { DurationMs } from "../fields.js";

const WaveFields = { wave: Type.Integer({ minimum: 0 }), stepIds: Type.Array(Type.String()) };

export const WaveStarted = defineEvent("wave.started", WaveFields, "a set of parallel steps began");
export const WaveCompleted = defineEvent(
  "wave.completed",
  { ...WaveFields, durationMs: DurationMs },
  "a set of parallel steps ended",
);

export const waveEvents = [WaveStarted, WaveCompleted] as const;
