/** The run's progress changed (seed 001). A projection of step events, emitted as it changes. */
import { Type, type Static } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";

const Count = Type.Integer({ minimum: 0 });

export const Progress = Type.Object({
  completed: Count,
  failed: Count,
  skipped: Count,
  total: Count,
  percent: Type.Number({ minimum: 0, maximum: 100 }),
});
export type Progress = Static<typeof Progress>;

export const ProgressUpdated = defineEvent("progress.updated", { progress: Progress }, "the run's progress changed");

export const progressEvents = [ProgressUpdated] as const;
