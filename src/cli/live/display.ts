/**
 * Where a command's events go, by progress mode: the tty window, one plain line per event,
 * NDJSON of stored events, or nothing. One shape for `run`, `tail` and `replay`.
 */
import type { RuntrailEvent } from "../../events/index.js";
import { eventLine } from "./event-line.js";
import type { ResolvedMode } from "./progress-mode.js";
import { createTtyDisplay } from "./tty-display.js";

/** A display. `event` takes events as they happen; `stored` takes a stored event's JSON text. */
export interface Display {
  readonly mode: ResolvedMode;
  event(event: RuntrailEvent): void;
  /** A stored event, exactly as the store and the API hold it: NDJSON mode prints it. */
  stored(body: string): void;
  /** Draws the last frame and gives the terminal back. */
  close(): void;
  /** Frames drawn (tty mode; the others count 0). */
  frames(): number;
}

/** Options of {@link createDisplay}. */
export interface DisplayOptions {
  readonly out: NodeJS.WriteStream;
  readonly colors: boolean;
  /** Plain lines start with the run id (account-wide tails). */
  readonly runIds?: boolean;
  /** The clock of the window's elapsed times (replays run on the trail's own time). */
  readonly now?: () => number;
  /** Most frames per second of the tty window. Default 30. */
  readonly fps?: number;
}

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
