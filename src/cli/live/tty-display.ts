/**
 * The tty window: events are batched and drawn at most `fps` times a second, whatever their
 * rate (a 10,000-step run draws no more frames than a slow one). Finished lines are printed above
 * the window and scroll away (all of them, however many a frame finished); the window itself is
 * redrawn in place by log-update. Each frame is
 * one write inside synchronized-output markers, so a terminal never shows half a frame.
 */
import { createLogUpdate } from "log-update";
import pc from "picocolors";
import type { RuntrailEvent } from "../../events/index.js";
import type { Display, DisplayOptions } from "./display-types.js";
import { renderLine, renderWindow } from "./view-render.js";
import { EMPTY_VIEW, reduceView, type ViewState } from "./view-state.js";

const BEGIN_SYNC = "\u001b[?2026h";
const END_SYNC = "\u001b[?2026l";
/** The spinner and elapsed times move this often when no event arrives. */
const TICK_MS = 100;

/**
 * The tty display.
 *
 * @example
 * const display = createTtyDisplay({ out: process.stdout, colors: true });
 */
export function createTtyDisplay(options: DisplayOptions): Display {
  const real = options.out;
  const now = options.now ?? Date.now;
  const minGap = 1_000 / (options.fps ?? 30);
  const c = pc.createColors(options.colors);
  let buffer = "";
  // log-update writes into this buffer (it sees no TTY, so adds no markers of its own); a frame
  // sends the buffer in one write, inside the markers.
  const sink = {
    isTTY: false,
    get columns(): number {
      return real.columns ?? 80;
    },
    get rows(): number {
      return real.rows ?? 24;
    },
    write(chunk: string): boolean {
      buffer += chunk;
      return true;
    },
  };
  const log = createLogUpdate(sink as unknown as NodeJS.WriteStream, { showCursor: true });
  let view: ViewState = EMPTY_VIEW;
  let pending: RuntrailEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = -Infinity;
  let frames = 0;
  let closed = false;
  real.write("\u001b[?25l");
  const tick = setInterval(schedule, TICK_MS);
  tick.unref();
  const onResize = (): void => schedule();
  real.on("resize", onResize);

  function schedule(): void {
    if (timer !== undefined || closed) return;
    const wait = Math.max(0, last + minGap - performance.now());
    timer = setTimeout(frame, wait);
  }

  function frame(): void {
    timer = undefined;
    view = reduceView(view, pending);
    pending = [];
    // Not log.persist: it clips what it prints to the terminal's height, and a frame can finish
    // more lines than that. Erase the window, print the lines, draw the window below them.
    if (view.lines.length > 0) {
      log.clear();
      buffer += `${view.lines.map((line) => renderLine(view, line, c)).join("\n")}\n`;
    }
    log(renderWindow(view, now(), c));
    if (buffer !== "") {
      real.write(BEGIN_SYNC + buffer + END_SYNC);
      buffer = "";
    }
    frames++;
    // Measured from the end of the write: however long a frame takes, the next one waits.
    last = performance.now();
  }

  return {
    mode: "tty",
    event(event) {
      pending.push(event);
      // A run that never yields to the event loop (a CPU-bound chain) would starve the timer:
      // draw from here once a frame is due, so the window stays live at the same bounded rate.
      if (performance.now() - last >= minGap && !closed) {
        if (timer !== undefined) clearTimeout(timer);
        frame();
      } else schedule();
    },
    stored() {},
    close() {
      if (closed) return;
      closed = true;
      clearInterval(tick);
      if (timer !== undefined) clearTimeout(timer);
      real.off("resize", onResize);
      view = reduceView(view, pending);
      pending = [];
      const text = view.lines.map((line) => renderLine(view, line, c)).join("\n");
      log.clear();
      if (text !== "") buffer += `${text}\n`;
      log.done();
      real.write(BEGIN_SYNC + buffer + END_SYNC + "\u001b[?25h");
      buffer = "";
      frames++;
    },
    frames: () => frames,
  };
}
