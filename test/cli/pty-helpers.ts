/**
 * The CLI in a real pseudo-terminal (node-pty), its output read back as a screen by a headless
 * xterm: what a person sees, including colours, and the raw bytes with their arrival times.
 */
import pty from "@lydell/node-pty";
import xterm from "@xterm/headless";
import { CLI, ROOT } from "./cli-helpers.js";

/** A CLI process on a terminal. */
export interface PtyRun {
  /** The visible screen, one string per row, right-trimmed. */
  screen(): string[];
  /** The screen's scrollback and rows together. */
  all(): string[];
  /** Whether the first cell of `text` on the screen is drawn in red (palette colour 1 or 9). */
  isRed(text: string): boolean;
  readonly chunks: { readonly at: number; readonly data: string }[];
  readonly exited: Promise<number>;
  /** Resolves once the screen shows `pattern`. */
  waitForScreen(pattern: RegExp, timeoutMs?: number): Promise<string[]>;
}

/** Starts `runtrail ARGS` on a `cols`×`rows` terminal; `CI` unset, as on a developer's machine. */
export function runInPty(args: readonly string[], options: { readonly cols?: number; readonly rows?: number; readonly env?: Record<string, string> } = {}): PtyRun {
  const cols = options.cols ?? 120;
  const rows = options.rows ?? 40;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && key !== "CI" && key !== "NO_COLOR") env[key] = value;
  Object.assign(env, { TERM: "xterm-256color", FORCE_COLOR: "1" }, options.env);
  const term = new xterm.Terminal({ cols, rows, scrollback: 5_000, allowProposedApi: true });
  const child = pty.spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cols, rows, cwd: ROOT, env, name: "xterm-256color" });
  const chunks: { at: number; data: string }[] = [];
  let written = Promise.resolve();
  child.onData((data) => {
    chunks.push({ at: performance.now(), data });
    written = written.then(() => new Promise<void>((resolve) => term.write(data, resolve)));
  });
  const exited = new Promise<number>((resolve) => child.onExit(({ exitCode }) => void written.then(() => resolve(exitCode))));
  const lines = (from: number, to: number): string[] => {
    const out: string[] = [];
    for (let i = from; i < to; i++) out.push(term.buffer.active.getLine(i)?.translateToString(true) ?? "");
    return out;
  };
  const run: PtyRun = {
    screen: () => lines(term.buffer.active.baseY, term.buffer.active.baseY + rows),
    all: () => lines(0, term.buffer.active.length),
    isRed(text) {
      const buffer = term.buffer.active;
      for (let y = 0; y < buffer.length; y++) {
        const line = buffer.getLine(y);
        const x = line?.translateToString(true).indexOf(text) ?? -1;
        if (line === undefined || x < 0) continue;
        const cell = line.getCell(x);
        return cell !== undefined && cell.isFgPalette() && [1, 9].includes(cell.getFgColor());
      }
      return false;
    },
    chunks,
    exited,
    async waitForScreen(pattern, timeoutMs = 60_000) {
      const until = performance.now() + timeoutMs;
      for (;;) {
        await written;
        const screen = run.screen();
        if (pattern.test(screen.join("\n"))) return screen;
        if (performance.now() > until) throw new Error(`the screen never showed ${String(pattern)}:\n${screen.join("\n")}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
  return run;
}
