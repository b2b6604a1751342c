/**
 * Issue 14, item 1: one bad value never stops the writer. Each case has two runs in flight: the
 * bad run's event is stored at its seq with a marker that says what and where, the fault reaches
 * `onError` with runId and seq, the other run is stored whole, the writer goes on and `flush()`
 * resolves. Against each real store (SQLite and PostgreSQL).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBus, type EventBus, type EventInput } from "runtrail";
import { workflow } from "../../src/engine/index.js";
import { createStoreWriter, EventPayloadError, type EventStore, type StoreWriter, type WriterFailure } from "../../src/store/index.js";
import { STORES, type OpenedStore } from "./store-fixtures.js";

const wf = { name: "w" };
const step = (runId: string, i: number, output?: unknown): EventInput =>
  ({ type: "step.completed", runId, workflow: wf, stepId: `s${i}`, durationMs: 1, ...(output === undefined ? {} : { output }) }) as EventInput;

/** 10,000 nested arrays around a string. */
function deepArrays(levels: number): unknown {
  let deep: unknown = "bottom";
  for (let i = 0; i < levels; i++) deep = [deep];
  return deep;
}

interface Case {
  readonly name: string;
  readonly output: () => unknown;
  /** What the stored output must look like (a subset). */
  readonly stored: (output: unknown) => void;
  /** The fault kinds reported, in order; empty: nothing JSON changes (the 50 MB string is only truncated). */
  readonly kinds: readonly string[];
}

const circular = (): unknown => {
  const node: Record<string, unknown> = { name: "loop" };
  node.self = node;
  return { node };
};

const CASES: readonly Case[] = [
  {
    name: "a BigInt",
    output: () => ({ total: 10n, items: 2 }),
    stored: (output) => expect(output).toEqual({ total: { $unserializable: "BigInt", path: "output.total", detail: "10" }, items: 2 }),
    kinds: ["BigInt"],
  },
  {
    name: "a circular object",
    output: circular,
    stored: (output) => expect(output).toEqual({ node: { name: "loop", self: { $unserializable: "Circular", path: "output.node.self", detail: "same object as output.node" } } }),
    kinds: ["Circular"],
  },
  {
    name: "a toJSON that throws",
    output: () => ({ report: { toJSON: () => { throw new Error("no JSON for you"); } } }),
    stored: (output) => expect(output).toEqual({ report: { $unserializable: "ToJSONError", path: "output.report", detail: "no JSON for you" } }),
    kinds: ["ToJSONError"],
  },
  {
    name: "10,000 nested arrays",
    output: () => deepArrays(10_000),
    stored: (output) => {
      // The event is level 0 and `output` level 1: the default bound (64) keeps 63 arrays of it.
      let inner = output;
      let levels = 0;
      while (Array.isArray(inner)) {
        inner = inner[0];
        levels++;
      }
      expect(levels).toBe(63);
      expect(inner).toMatchObject({ $unserializable: "TooDeep", path: `output${"[0]".repeat(63)}` });
    },
    kinds: ["TooDeep"],
  },
  {
    name: "a Map and a Set",
    output: () => ({ byId: new Map([["a", 1]]), tags: new Set(["x", "y"]), ratio: NaN, list: [1, undefined] }),
    stored: (output) =>
      expect(output).toEqual({
        byId: { $unserializable: "Map", path: "output.byId", detail: "1 entries" },
        tags: { $unserializable: "Set", path: "output.tags", detail: "2 values" },
        ratio: { $unserializable: "NaN", path: "output.ratio" },
        list: [1, { $unserializable: "undefined", path: "output.list[1]" }],
      }),
    kinds: ["Map", "Set", "NaN", "undefined"],
  },
  {
    name: "a 50 MB string",
    output: () => "x".repeat(50 * 1024 * 1024),
    // Not a fault: the size limit cuts it, and records what was cut.
    stored: (output) => expect(output).toMatchObject({ $truncated: true, size: 50 * 1024 * 1024 + 2 }),
    kinds: [],
  },
];

async function seqs(store: EventStore, runId: string): Promise<number[]> {
  return (await store.readRun("default", runId, { limit: 10_000 })).items.map((s) => s.event.seq);
}

for (const factory of STORES) {
  describe(`a bad value never stops the writer: ${factory.name}`, () => {
    let opened: OpenedStore;
    let bus: EventBus;
    let writer: StoreWriter;
    let failures: WriterFailure[];
    beforeEach(async () => {
      opened = await factory.open();
      bus = createBus();
      failures = [];
      writer = createStoreWriter(bus, opened.store, { batchSize: 3, flushIntervalMs: 1, onError: (f) => failures.push(f) });
    });
    afterEach(async () => {
      await writer.close();
      await opened.dispose();
    });

    for (const c of CASES) {
      it(`${c.name}: stored as a marker at its seq, reported with runId and seq; the other run is unharmed`, async () => {
        // Two runs interleaved: "good" before, beside and after "bad"'s bad event.
        for (let i = 1; i <= 3; i++) {
          await bus.emit(step("good", i));
          await bus.emit(step("bad", i));
        }
        await bus.emit(step("bad", 4, c.output()));
        for (let i = 4; i <= 6; i++) await bus.emit(step("good", i));
        await bus.emit(step("bad", 5));
        await writer.flush(); // resolves: the writer did not stop
        expect(await seqs(opened.store, "good")).toEqual([1, 2, 3, 4, 5, 6]);
        expect(await seqs(opened.store, "bad")).toEqual([1, 2, 3, 4, 5]);
        const stored = (await opened.store.readRun("default", "bad", { after: 3, limit: 1 })).items[0]!.event as { output?: unknown };
        c.stored(stored.output);

        const payload = failures.filter((f) => f.stage === "payload");
        expect(failures.filter((f) => f.stage !== "payload")).toEqual([]);
        if (c.kinds.length === 0) {
          expect(payload).toEqual([]);
        } else {
          expect(payload).toHaveLength(1);
          const [failure] = payload;
          expect(failure).toMatchObject({ runId: "bad", seq: 4 });
          expect(failure!.faults!.map((f) => f.kind)).toEqual(c.kinds);
          expect(failure!.error).toBeInstanceOf(EventPayloadError);
          expect((failure!.error as Error).message).toContain("event bad:4 (step.completed)");
        }

        // The writer goes on for both runs.
        await bus.emit(step("good", 7));
        await bus.emit(step("bad", 6));
        await writer.flush();
        expect((await seqs(opened.store, "good")).at(-1)).toBe(7);
        expect((await seqs(opened.store, "bad")).at(-1)).toBe(6);
      });
    }

    it("a redactor that throws on one payload: the event keeps its seq, its payload fields become markers (never stored unredacted)", async () => {
      await writer.close();
      writer = createStoreWriter(bus, opened.store, {
        flushIntervalMs: 1,
        onError: (f) => failures.push(f),
        redact: (event) => {
          if ((event as { output?: unknown }).output === "secret") throw new Error("cannot redact this");
          return event;
        },
      });
      await bus.emit(step("bad", 1));
      await bus.emit(step("good", 1));
      await bus.emit(step("bad", 2, "secret"));
      await bus.emit(step("bad", 3));
      await writer.flush();
      expect(await seqs(opened.store, "bad")).toEqual([1, 2, 3]);
      expect(await seqs(opened.store, "good")).toEqual([1]);
      const stored = (await opened.store.readRun("default", "bad", { after: 1, limit: 1 })).items[0]!.event as Record<string, unknown>;
      expect(stored.output).toMatchObject({ $unserializable: "Unreadable", path: "output" });
      expect(JSON.stringify(stored)).not.toContain('"secret"');
      // The envelope (ids, seq, step) is kept; each other field is a marker, and each is reported.
      expect(stored).toMatchObject({ runId: "bad", seq: 2, stepId: "s2", type: "step.completed" });
      expect(failures.filter((f) => f.stage === "payload").map((f) => [f.runId, f.seq, f.faults!.map((x) => x.path).sort()])).toEqual([["bad", 2, ["durationMs", "output"]]]);
    });

    it("a NaN in a typed field (metrics, durationMs) is not stored as a marker there: the run stays readable, and the fault says so", async () => {
      await bus.emit(step("good", 1));
      await bus.emit({ type: "step.completed", runId: "bad", workflow: wf, stepId: "s1", durationMs: NaN, metrics: { rows: 3, ratio: NaN }, output: { ratio: NaN } } as EventInput);
      await bus.emit(step("bad", 2));
      await writer.flush();
      expect(await seqs(opened.store, "bad")).toEqual([1, 2]); // readRun validates every event it loads
      const stored = (await opened.store.readRun("default", "bad", { limit: 1 })).items[0]!.event as Record<string, unknown>;
      expect(stored.metrics).toEqual({ rows: 3 });
      expect(stored.durationMs).toBe(0);
      expect(stored.output).toEqual({ ratio: { $unserializable: "NaN", path: "output.ratio" } });
      const [failure] = failures.filter((f) => f.stage === "payload");
      expect(failure).toMatchObject({ runId: "bad", seq: 1 });
      const byPath = new Map(failure!.faults!.map((f) => [f.path, f.detail ?? ""]));
      expect([...byPath.keys()].sort()).toEqual(["durationMs", "metrics.ratio", "output.ratio"]);
      expect(byPath.get("metrics.ratio")).toContain("not stored");
      expect(byPath.get("durationMs")).toContain("empty value 0");
      expect(await opened.store.getRun("default", "bad")).toMatchObject({ lastSeq: 2 });
    });

    it("through the library: two workflows run at once, one step returns 10n; both results arrive and both runs are stored whole", async () => {
      const bad = workflow("totals").step("sum", () => ({ total: 10n })).build();
      const good = workflow("plain").step("one", () => 1).step("two", (ctx) => (ctx.steps.one as number) + 1, { needs: ["one"] }).build();
      const a = bad.start(undefined, { bus, runId: "bad-run" });
      const b = good.start(undefined, { bus, runId: "good-run" });
      expect(await a.result).toEqual({ total: 10n });
      expect(await b.result).toBe(2);
      await writer.flush();
      const badRun = await opened.store.getRun("default", "bad-run");
      const goodRun = await opened.store.getRun("default", "good-run");
      expect(badRun).toMatchObject({ status: "completed" });
      expect(goodRun).toMatchObject({ status: "completed" });
      const badSeqs = await seqs(opened.store, "bad-run");
      expect(badSeqs).toEqual(badSeqs.map((_, i) => i + 1));
      const reported = failures.filter((f) => f.stage === "payload");
      expect(reported.length).toBeGreaterThan(0);
      expect(reported.every((f) => f.runId === "bad-run" && f.faults!.every((x) => x.kind === "BigInt"))).toBe(true);
      const completed = (await opened.store.readRun("default", "bad-run", { limit: 100 })).items.find((s) => s.event.type === "step.completed")!.event as { output?: unknown };
      expect(completed.output).toEqual({ total: { $unserializable: "BigInt", path: "output.total", detail: "10" } });
    });
  });
}
