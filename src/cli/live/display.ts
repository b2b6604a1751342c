/**
 * Where a command's events go, by progress mode: the tty window, one plain line per event,
 * NDJSON of stored events, or nothing. One shape for `run`, `tail` and `replay`.
 */
import { eventLine } from "./event-line.js";
import type { ResolvedMode } from "./progress-mode.js";
import type { Display, DisplayOptions } from "./display-types.js";
import { createTtyDisplay } from "./tty-display.js";

export type { Display, DisplayOptions } from "./display-types.js";

/**
 * The display for a mode.
 *
 * @example
 * const display = createDisplay("plain", { out: process.stdout, colors: false });
 * bus.onEvent((e) => display.event(e));
 */
export function createDisplay(mode: ResolvedMode, options: DisplayOptions): Display {
  const { out } = options;
  const none = (): number => 0;
  switch (mode) {
    case "tty":
      return createTtyDisplay(options);
    case "plain":
      return { mode, event: (e) => void out.write(`${eventLine(e, { runId: options.runIds === true })}\n`), stored: () => {}, close: () => {}, frames: none };
    case "json":
      return { mode, event: () => {}, stored: (body) => void out.write(`${body}\n`), close: () => {}, frames: none };
    case "quiet":
      return { mode, event: () => {}, stored: () => {}, close: () => {}, frames: none };
  }
}
