/**
 * `stepSeries`, the time-bucketed step analytics, on every store: the buckets and their counts,
 * a nearest-rank p95 on known data, the account and workflow scope, and the same answer from
 * SQLite and PostgreSQL for the same data at every bucket width.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StepSeries } from "../../src/store/index.js";
import { STORES, type OpenedStore } from "./store-fixtures.js";
import { EXPECTED, H0, HOUR, RANGE, writeSeriesData } from "./step-series-data.js";

const DAY = 24 * HOUR;
const opened = new Map<string, OpenedStore>();

beforeAll(async () => {
  for (const factory of STORES) {
    const store = await factory.open();
    opened.set(factory.name, store);
    await writeSeriesData(store.store);
  }
}, 60_000);
afterAll(async () => {
  for (const store of opened.values()) await store.dispose();
});

for (const factory of STORES) {
  describe(`step series: ${factory.name}`, () => {
    const store = () => opened.get(factory.name)!.store;

    it("buckets each step's outcomes by the hour it ended in, p95 by nearest rank, empty hours absent", async () => {
      expect(await store().stepSeries("acme", RANGE)).toEqual(EXPECTED);
    });

    it("floors buckets to whole multiples of the width since the epoch, and filters by the exact range", async () => {
      const day = await store().stepSeries("acme", { ...RANGE, bucketMs: DAY });
      const midnight = Math.floor(H0 / DAY) * DAY;
      // load: 1..20 ms, 7 and 30: 22 completed, the 21st smallest (ceil(0.95 × 22)) is 20.
      expect(day.find((s) => s.stepId === "load")?.points).toEqual([
        { t: midnight, completed: 22, failures: 3, runsFailed: 1, avgMs: (210 + 37) / 22, p95Ms: 20 },
      ]);
      // From 10:30 the 10:00 bucket is still the one that starts at 10:00, but holds nothing of load's (all ended by 10:19).
      const late = await store().stepSeries("acme", { ...RANGE, from: H0 + 30 * 60_000 });
      expect(late.find((s) => s.stepId === "load")?.points.map((p) => p.t)).toEqual([H0 + HOUR]);
      // Five-minute buckets: load's 20 completions one a minute fall five to a bucket.
      const fine = await store().stepSeries("acme", { ...RANGE, bucketMs: 5 * 60_000, to: H0 + 20 * 60_000 });
      expect(fine.map((s) => s.stepId)).toEqual(["load"]);
      expect(fine[0]!.points.map((p) => [p.t - H0, p.completed, p.p95Ms])).toEqual([
        [0, 5, 5],
        [5 * 60_000, 5, 10],
        [10 * 60_000, 5, 15],
        [15 * 60_000, 5, 20],
      ]);
      expect(await store().stepSeries("acme", { ...RANGE, from: H0, to: H0 })).toEqual([]);
    });

    it("sees only the account's runs of the workflow asked for", async () => {
      expect(await store().stepSeries("globex", RANGE)).toEqual([{ stepId: "load", points: [{ t: H0, completed: 0, failures: 1, runsFailed: 1 }] }]);
      expect(await store().stepSeries("acme", { ...RANGE, workflow: "other" })).toEqual([
        { stepId: "load", points: [{ t: H0, completed: 1, failures: 0, runsFailed: 0, avgMs: 999, p95Ms: 999 }] },
      ]);
      expect(await store().stepSeries("initech", RANGE)).toEqual([]);
      expect(await store().stepSeries("acme", { ...RANGE, workflow: "nope" })).toEqual([]);
    });

    it("refuses a bucket that is not a positive integer and a range that ends before it starts, naming the option", async () => {
      await expect(store().stepSeries("acme", { ...RANGE, bucketMs: 0 })).rejects.toThrow(/bucketMs must be a positive integer/);
      await expect(store().stepSeries("acme", { ...RANGE, bucketMs: 1.5 })).rejects.toThrow(RangeError);
      await expect(store().stepSeries("acme", { ...RANGE, from: H0 + 1, to: H0 })).rejects.toThrow(/from \(\d+\) is after to/);
      await expect(store().stepSeries("acme", { ...RANGE, from: Number.NaN })).rejects.toThrow(/from must be/);
    });
  });
}

describe("step series: SQLite and PostgreSQL agree", () => {
  it("answers alike for the same data at every bucket width and range", async () => {
    const [sqlite, postgres] = [opened.get("sqlite"), opened.get("postgres")];
    if (sqlite === undefined || postgres === undefined) throw new Error("both stores are needed (RUNTRAIL_STORES narrowed them)");
    let compared = 0;
    for (const bucketMs of [60_000, 5 * 60_000, 15 * 60_000, HOUR, 6 * HOUR, DAY]) {
      for (const range of [RANGE, { ...RANGE, from: H0 - DAY, to: H0 + DAY }, { ...RANGE, from: H0 + 7 * 60_000 + 1, to: H0 + HOUR + 250_000 }]) {
        for (const account of ["acme", "globex"]) {
          const options = { ...range, bucketMs };
          const a: readonly StepSeries[] = await sqlite.store.stepSeries(account, options);
          const b: readonly StepSeries[] = await postgres.store.stepSeries(account, options);
          expect(b, `${account} ${JSON.stringify(options)}`).toEqual(a);
          compared += a.reduce((n, s) => n + s.points.length, 0);
        }
      }
    }
    // Not a comparison of empty answers.
    expect(compared).toBeGreaterThan(100);
  });
});
