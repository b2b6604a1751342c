/**
 * The tty display's frame bound, where frames are written: a CPU-bound chain (which never yields
 * to the event loop) and a timer-paced run both get a live window, its frames at least 1/fps
 * apart, each one write inside synchronized-output markers.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { createBus, workflow } from "../../src/index.js";
import { createTtyDisplay } from "../../src/cli/live/tty-display.js";

function terminal(): { out: NodeJS.WriteStream; writes: { at: number; chunk: string }[] } {
  const writes: { at: number; chunk: string }[] = [];
  const out = Object.assign(new EventEmitter(), {
    isTTY: true,
    columns: 100,
    rows: 30,
    write(chunk: string): boolean {
      writes.push({ at: performance.now(), chunk });
      return true;
    },
  });
  return { out: out as unknown as NodeJS.WriteStream, writes };
}

function chain(steps: number, stepMs: number) {
  let builder = workflow<number>("chain") as unknown as { step: (...args: unknown[]) => typeof builder; build: () => { run: (input: number, options: object) => Promise<unknown> } };
  for (let i = 0; i < steps; i++) {
    const handler = stepMs === 0 ? () => i : () => new Promise((resolve) => setTimeout(() => resolve(i), stepMs));
    builder = builder.step(`s${i}`, handler, i === 0 ? {} : { needs: [`s${i - 1}`] });
  }
  return builder.build();
}

async function framesOf(steps: number, stepMs: number, fps: number): Promise<number[]> {
  const { out, writes } = terminal();
  const display = createTtyDisplay({ out, colors: false, fps });
  const bus = createBus();
  bus.onEvent((event) => display.event(event));
  await chain(steps, stepMs).run(0, { bus });
  display.close();
  const frames = writes.filter((w) => w.chunk.startsWith("\u001b[?2026h"));
  for (const w of frames) expect(w.chunk.endsWith("\u001b[?2026l") || w.chunk.endsWith("\u001b[?2026l\u001b[?25h")).toBe(true);
  return frames.map((w) => w.at);
}

describe("tty display frame rate", { timeout: 60_000 }, () => {
  it("a CPU-bound 5,000-step chain draws while it runs, frames at least 1/fps apart", async () => {
    const at = await framesOf(5_000, 0, 20);
    expect(at.length).toBeGreaterThan(2);
    // The closing frame is drawn at once; every other one waits its turn.
    for (let i = 1; i < at.length - 1; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(50 - 1);
  });

  it("a timer-paced run redraws as time passes, within the bound", async () => {
    const at = await framesOf(40, 10, 30);
    expect(at.length).toBeGreaterThan(5);
    for (let i = 1; i < at.length - 1; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(1_000 / 30 - 1);
  });
});
