/**
 * The trail's floor: the exact events a Runtrail chain run emits (same types, same envelope,
 * same payloads), built and emitted in a loop with no engine, each step's handler awaited as in
 * the plain loop. What the engine costs above this is scheduling, not the trail.
 */
import { createBus } from "../../src/index.js";
import type { Progress } from "../../src/events/families/progress.js";
import type { Prepared } from "./engine-shapes.js";
import { eventsPerRun } from "./engine-runtrail.js";

const inc = async (value: number): Promise<number> => value + 1;

/**
 * A chain of `steps` steps whose trail is emitted by hand onto a bus with one listener.
 *
 * @example
 * const floor = busFloor(1_000);
 * await floor.run(); // 5,002 events, 1,000 awaited increments
 * floor.verify();
 */
export function busFloor(steps: number): Prepared {
  const bus = createBus();
  let seen = 0;
  bus.onEvent(() => void seen++);
  const workflow = { name: `floor-${steps}` };
  const accountId = "default";
  const ids = Array.from({ length: steps }, (_, i) => `s${i}`);
  let runs = 0;
  return {
    run: async () => {
      const runId = globalThis.crypto.randomUUID();
      runs++;
      void bus.emit({ type: "run.started", runId, accountId, workflow, totalSteps: steps, input: 0 });
      let value = 0;
      for (let i = 0; i < steps; i++) {
        const stepId = ids[i]!;
        void bus.emit({ type: "wave.started", runId, accountId, workflow, wave: i, stepIds: [stepId] });
        void bus.emit({ type: "step.started", runId, accountId, workflow, stepId, attempt: 1 });
        value = await inc(value);
        void bus.emit({ type: "step.completed", runId, accountId, workflow, stepId, attempt: 1, output: value, durationMs: 0.001 });
        const progress: Progress = { completed: i + 1, failed: 0, skipped: 0, total: steps, percent: Math.round(((i + 1) / steps) * 10_000) / 100 };
        void bus.emit({ type: "progress.updated", runId, accountId, workflow, stepId, attempt: 1, progress });
        void bus.emit({ type: "wave.completed", runId, accountId, workflow, wave: i, stepIds: [stepId], durationMs: 0.002 });
      }
      void bus.emit({ type: "run.completed", runId, accountId, workflow, output: value, durationMs: 1 });
      if (value !== steps) throw new Error(`bus floor: output ${value}, expected ${steps}`);
    },
    verify: () => {
      const perRun = eventsPerRun({ kind: "chain", steps });
      const emitted = bus.stats().emitted;
      if (emitted !== runs * perRun || seen !== emitted) {
        throw new Error(`bus floor: ${runs} runs emitted ${emitted} events (listener saw ${seen}), expected ${perRun} each`);
      }
    },
  };
}
