/**
 * The live view in a real pseudo-terminal: while a run goes, a window redrawn in place (spinner,
 * elapsed time, wave, attempt, progress bar, variables) inside synchronized-output markers; when
 * it ends, the finished lines remain (a retry with its attempt numbers and the policy that decided
 * it, a skipped step with its condition, failures in red) and the window is gone. Frames stay
 * under 30 a second whatever the event rate; NO_COLOR turns colours off, not the window.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, scratch } from "./cli-helpers.js";
import { runInPty } from "./pty-helpers.js";

const dir = scratch("pty");
const SYNC_BEGIN = "\u001b[?2026h";
const SYNC_END = "\u001b[?2026l";
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

function frames(chunks: readonly { readonly data: string }[]): number {
  return chunks.map((c) => c.data.split(SYNC_BEGIN).length - 1).reduce((a, b) => a + b, 0);
}

describe("the live view on a terminal", { timeout: 180_000 }, () => {
  it("shows the running window, then the retry, the skipped step and the failure in red", async () => {
    const run = runInPty(["run", "examples/release-train.yaml", "--input", '{"delayMs": 700}', "--db", join(dir, "a.db")]);
    // Mid-run: the window with the run, a running step with a spinner and its elapsed time, the bar.
    const during = (await run.waitForScreen(new RegExp(` {2}${SPINNER.source} test attempt 3 `))).join("\n");
    expect(during).toMatch(new RegExp(`${SPINNER.source} release-train@2 \\S+ \\d+(\\.\\d)?s  wave 1: test`));
    expect(during).toMatch(new RegExp(` {2}${SPINNER.source} test attempt 3 \\d+ms`));
    expect(during).toMatch(/█+░+ +\d+% \d\/5 steps/);
    expect(during).toContain('vars stage = "built"');
    expect(await run.exited).toBe(2);

    const screen = run.all().filter((line) => line !== "");
    const at = (pattern: RegExp): number => screen.findIndex((line) => pattern.test(line));
    expect(at(/^✓ build \d+ms$/)).toBeGreaterThanOrEqual(0);
    expect(screen).toContain("✗ test failed: Error: 3 of 120 tests timed out");
    expect(screen).toContain("↻ test attempt 1 failed (3 of 120 tests timed out); attempt 2 in 10ms, decided by retry:test");
    expect(screen).toContain("↻ test attempt 2 failed (3 of 120 tests timed out); attempt 3 in 10ms, decided by retry:test");
    expect(screen).toContain('○ canary skipped: when "steps.test.failures > 0" was false');
    expect(screen).toContain("✗ deploy failed: Error: cluster prod-eu refused the rollout: quota exceeded");
    expect(at(/^● run release-train failed at step deploy after \d+\.\ds: Error: cluster prod-eu refused the rollout: quota exceeded$/)).toBeGreaterThan(at(/^✗ deploy failed/));
    expect(at(/^✓ test \d+ms \(attempt 3\)$/)).toBeGreaterThan(at(/attempt 2 in 10ms/));
    expect(run.isRed("✗ deploy failed")).toBe(true);
    expect(run.isRed("✓ build")).toBe(false);
    // The window is gone once the run ended: no spinner, no bar left on the screen.
    expect(run.screen().join("\n")).not.toMatch(SPINNER);
    expect(run.screen().join("\n")).not.toMatch(/░/);
    // Every frame is inside synchronized-output markers.
    const raw = run.chunks.map((c) => c.data).join("");
    expect(raw.split(SYNC_BEGIN).length).toBe(raw.split(SYNC_END).length);
  });

  it("draws at most 30 frames a second through a 3,000-step chain, and NO_COLOR keeps the window without colours", async () => {
    const file = join(dir, "chain.ts");
    const steps = Array.from({ length: 3_000 }, (_, i) => `.step("s${i}", () => ${i}${i === 0 ? "" : `, { needs: ["s${i - 1}"] }`})`).join("\n  ");
    writeFileSync(file, `import { workflow } from ${JSON.stringify(join(ROOT, "src/index.ts"))};\nexport default workflow("chain")\n  ${steps}\n  .build();\n`);
    const started = performance.now();
    const run = runInPty(["run", file, "--db", join(dir, "chain.db")], { env: { NO_COLOR: "1" } });
    expect(await run.exited).toBe(0);
    const seconds = (performance.now() - started) / 1_000;
    // 3,000 steps emit some 15,000 events; the frames are bounded by time, not by events (the
    // spacing of frames where they are written is checked in tty-display.test.ts).
    const count = frames(run.chunks);
    expect(count).toBeGreaterThan(1);
    expect(count).toBeLessThanOrEqual(Math.ceil(seconds * 30) + 2);
    expect(run.all()).toContain("✓ s2999 0ms");
    expect(run.all().filter((line) => /^✓ s\d+ /.test(line))).toHaveLength(3_000);

    expect(run.chunks.map((c) => c.data).join("")).not.toMatch(/\u001b\[(3\d|9\d|1|2)m/);
  });
});
