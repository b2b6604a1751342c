/**
 * The tty window's redraw rate, measured where the frames are written: a chain run in this
 * process on a bus whose events go to the tty display, whose stream is a stand-in terminal that
 * timestamps each write. (Timestamps taken on the far side of a pseudo-terminal are arrival
 * times, which a loaded machine bunches together.)
 */
import { createBus } from "../../src/index.js";
import { createTtyDisplay } from "../../src/cli/live/tty-display.js";
import { chainWorkflow } from "./engine-runtrail.js";

/** Frames written, how long the display was open, the shortest gap between frames, the events shown. */
export interface FrameCount {
  readonly frames: number;
  readonly openMs: number;
  /** Between consecutive frames while the run went (the closing frame left out). */
  readonly minGapMs: number;
  readonly events: number;
}

/**
 * Runs a `steps`-step chain with the tty display on a stand-in terminal.
 *
 * @example
 * const { frames, openMs } = await countFrames(10_000);
 */
export async function countFrames(steps: number, fps?: number): Promise<FrameCount> {
  const writes: number[] = [];
  const out = Object.assign(new (await import("node:events")).EventEmitter(), {
    isTTY: true,
    columns: 120,
    rows: 40,
    write(chunk: string): boolean {
      if (chunk.includes("\u001b[?2026h")) writes.push(performance.now());
      return true;
    },
  });
  const opened = performance.now();
  const display = createTtyDisplay({ out: out as unknown as NodeJS.WriteStream, colors: true, ...(fps === undefined ? {} : { fps }) });
  const bus = createBus();
  let events = 0;
  bus.onEvent((event) => {
    events++;
    display.event(event);
  });
  await chainWorkflow("chain", steps, (value) => value + 1).run(0, { bus });
  // Let the last scheduled frame go out, as a run's end does before the store closes.
  await new Promise((resolve) => setTimeout(resolve, 50));
  display.close();
  const openMs = performance.now() - opened;
  let minGapMs = Infinity;
  for (let i = 1; i < writes.length - 1; i++) minGapMs = Math.min(minGapMs, writes[i]! - writes[i - 1]!);
  return { frames: writes.length, openMs, minGapMs, events };
}
