/**
 * The JSON-safe boundary (issue 14, item 1): every value JSON cannot hold as it is becomes a
 * marker that says what and where, and is reported; nothing throws, nothing recurses.
 */
import { describe, expect, it } from "vitest";
import { MAX_DEPTH_LIMIT, toJsonSafe } from "runtrail";

describe("toJsonSafe", () => {
  it("returns plain JSON data as it is (the same object, no faults)", () => {
    const value = { a: 1, b: ["x", true, null, { c: 2.5 }], d: undefined };
    const safe = toJsonSafe(value);
    expect(safe.value).toBe(value);
    expect(safe.faults).toEqual([]);
  });

  it("marks a BigInt with its path and digits", () => {
    const { value, faults } = toJsonSafe({ total: 10n, n: 1 }, { root: "output" });
    expect(value).toEqual({ total: { $unserializable: "BigInt", path: "output.total", detail: "10" }, n: 1 });
    expect(faults).toEqual([{ kind: "BigInt", path: "output.total", detail: "10" }]);
    expect(() => JSON.stringify(value)).not.toThrow();
  });

  it("marks a circle at the repeat, naming the first path", () => {
    const node: Record<string, unknown> = { name: "n" };
    node.self = node;
    const { value, faults } = toJsonSafe({ node }, { root: "output" });
    expect(value).toEqual({ node: { name: "n", self: { $unserializable: "Circular", path: "output.node.self", detail: "same object as output.node" } } });
    expect(faults.map((f) => f.kind)).toEqual(["Circular"]);
  });

  it("keeps an object that appears twice without a circle", () => {
    const shared = { v: 1 };
    const { value, faults } = toJsonSafe({ a: shared, b: [shared], when: new Date(0) });
    expect(faults).toEqual([]);
    expect(value).toEqual({ a: { v: 1 }, b: [{ v: 1 }], when: "1970-01-01T00:00:00.000Z" });
  });

  it("marks a toJSON that throws, with its message", () => {
    const bad = { toJSON: () => { throw new Error("no JSON for you"); } };
    const { value, faults } = toJsonSafe({ x: bad });
    expect(value).toEqual({ x: { $unserializable: "ToJSONError", path: "x", detail: "no JSON for you" } });
    expect(faults).toHaveLength(1);
  });

  it("bounds depth without recursion: 10,000 nested arrays become one TooDeep marker", () => {
    let deep: unknown = "bottom";
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const { value, faults } = toJsonSafe(deep, { maxDepth: 64 });
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({ kind: "TooDeep" });
    expect(faults[0]!.path).toBe("[0]".repeat(64));
    expect(JSON.stringify(value).length).toBeLessThan(1_000);
  });

  it("reports what JSON would change silently: Map, Set, NaN, Infinity, undefined in arrays, functions, Errors", () => {
    const { value, faults } = toJsonSafe({
      map: new Map([["k", 1]]),
      set: new Set([1, 2]),
      nan: NaN,
      inf: -Infinity,
      list: [1, undefined],
      fn: function handler() {},
      error: new TypeError("bad"),
      date: new Date(0),
    });
    expect(faults.map((f) => `${f.kind} ${f.path}`)).toEqual([
      "Map map",
      "Set set",
      "NaN nan",
      "Infinity inf",
      "undefined list[1]",
      "function fn",
      "Error error",
    ]);
    expect((value as { date: unknown }).date).toBe("1970-01-01T00:00:00.000Z");
  });

  it("keeps a Buffer as JSON does (its own toJSON)", () => {
    const { value, faults } = toJsonSafe({ bytes: Buffer.from([1, 2]) });
    expect(faults).toEqual([]);
    expect(value).toEqual({ bytes: { type: "Buffer", data: [1, 2] } });
  });

  it("marks a getter or proxy that throws as Unreadable, and still never throws", () => {
    const getter = Object.defineProperty({ ok: 1 }, "secret", { enumerable: true, get: () => { throw new Error("no access"); } });
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error("trap"); } });
    const { value, faults } = toJsonSafe({ getter, hostile });
    expect(faults.map((f) => `${f.kind} ${f.path} ${f.detail ?? ""}`)).toEqual(["Unreadable getter no access", "Unreadable hostile trap"]);
    expect(() => JSON.stringify(value)).not.toThrow();
  });

  it("keeps markers small: a huge BigInt's digits are cut to 200 characters", () => {
    const { faults } = toJsonSafe({ n: 10n ** 5_000n });
    expect(faults[0]!.detail!.length).toBe(201);
    expect(faults[0]!.detail!.endsWith("…")).toBe(true);
  });

  it("takes at most MAX_DEPTH_LIMIT as maxDepth, so its output always fits JSON.stringify's stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const { value, faults } = toJsonSafe(deep, { maxDepth: 1_000_000 });
    expect(faults[0]!.path).toBe("[0]".repeat(MAX_DEPTH_LIMIT));
    expect(() => JSON.stringify(value)).not.toThrow();
  });
});
