/**
 * The display contract every progress mode implements (tty window, plain lines, NDJSON, quiet):
 * its own file, so the modes and the chooser depend on it and not on each other.
 */
import type { RuntrailEvent } from "../../events/index.js";
import type { ResolvedMode } from "./progress-mode.js";

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
