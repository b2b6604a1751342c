import { describe, expect, it } from "vitest";
import { formatProgress } from "../../dashboard/src/common/format.js";

describe("dashboard formatting", () => {
  it("progress counts skipped and failed steps as done, as its percent does, and names them", () => {
    expect(formatProgress({ completed: 8, skipped: 2, failed: 0, total: 10, percent: 100 })).toBe("10/10 (2 skipped)");
    expect(formatProgress({ completed: 1, skipped: 0, failed: 1, total: 3, percent: 66.67 })).toBe("2/3 (1 failed)");
    expect(formatProgress({ completed: 3, skipped: 0, failed: 0, total: 5, percent: 60 })).toBe("3/5");
  });
});
