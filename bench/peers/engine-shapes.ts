/**
 * The shapes the `engine` suite runs in every contender, and the limit they are held against: a
 * plain loop of awaited async functions doing the same arithmetic with no engine at all.
 *
 * Every step adds 1 to what it receives, so each shape has one right answer and a contender
 * that skips or repeats a step fails its run instead of posting a fast number.
 */

/** A linear chain of `steps` steps, or one root, `width` parallel steps and one join. */
export type Shape =
  | { readonly kind: "chain"; readonly steps: number }
  | { readonly kind: "fanout"; readonly width: number };

/** A shape built once, outside any timing, ready to run many times. */
export interface Prepared {
  /** One whole run; rejects when its answer is wrong. */
  readonly run: () => Promise<void>;
  /** After the timing: throws unless everything the runs were meant to leave behind is there. */
  verify(): void;
}

/** Something that runs the shapes: Runtrail, a peer engine, or the plain loop. */
export interface EngineContender {
  readonly name: string;
  prepare(shape: Shape): Prepared | Promise<Prepared>;
}

const nothingToVerify = (): void => undefined;

/** A contender whose runs leave nothing to check beyond their answers. */
export function answersOnly(run: () => Promise<void>): Prepared {
  return { run, verify: nothingToVerify };
}

/** Steps a shape runs: a fan-out counts its root and its join. */
export function stepsOf(shape: Shape): number {
  return shape.kind === "chain" ? shape.steps : shape.width + 2;
}

/** What every contender must return: a chain counts its steps; a fan-out sums its branches. */
export function expectedOutput(shape: Shape): number {
  return shape.kind === "chain" ? shape.steps : 2 * shape.width;
}

/** A short label for rows: "chain 1,000", "fan-out 1,000". */
export function label(shape: Shape): string {
  return shape.kind === "chain" ? `chain ${shape.steps.toLocaleString("en-US")}` : `fan-out ${shape.width.toLocaleString("en-US")}`;
}

/** Throws when a run's answer is wrong, naming the contender and the shape. */
export function check(name: string, shape: Shape, got: unknown): void {
  const want = expectedOutput(shape);
  if (got !== want) throw new Error(`${name} on ${label(shape)}: output ${String(got)}, expected ${want}`);
}

const inc = async (value: number): Promise<number> => value + 1;

/** The limit: the same arithmetic as awaited async calls in a loop, with no engine. */
export const plainLoop: EngineContender = {
  name: "plain loop",
  prepare(shape) {
    if (shape.kind === "chain") {
      const steps = shape.steps;
      return answersOnly(async () => {
        let value = 0;
        for (let i = 0; i < steps; i++) value = await inc(value);
        check("plain loop", shape, value);
      });
    }
    const width = shape.width;
    return answersOnly(async () => {
      const root = await inc(0);
      const branches: Promise<number>[] = new Array<Promise<number>>(width);
      for (let i = 0; i < width; i++) branches[i] = inc(root);
      const values = await Promise.all(branches);
      const total = await (async (list: readonly number[]) => list.reduce((a, b) => a + b, 0))(values);
      check("plain loop", shape, total);
    });
  },
};
