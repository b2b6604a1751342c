import { describe, expect, it } from "vitest";
import {
  BusClosedError,
  EventReusedError,
  RunAccountError,
  RunEndedError,
  createBus,
  eventId,
  type RuntrailEvent,
} from "runtrail";
import { runCompleted, runStarted, stepStarted, wf } from "../helpers.js";

describe("emit: stamping and seq", () => {
  it("stamps id, seq, ts and the default account in place", () => {
    let now = 1_000;
    const bus = createBus({ clock: () => now++ });
    const input = stepStarted("r1", "a");
    void bus.emit(input);
    expect(input).toMatchObject({ id: "r1:1", seq: 1, ts: 1_000, accountId: "default", type: "step.started" });
    expect(eventId("r1", 1)).toBe("r1:1");
  });

  it("keeps an account the producer named", () => {
    const bus = createBus();
    const input = stepStarted("r1", "a", "acme");
    void bus.emit(input);
    expect((input as RuntrailEvent).accountId).toBe("acme");
  });

  it("numbers each run 1, 2, 3, … independently, with interleaved runs", () => {
    const bus = createBus();
    const seen: RuntrailEvent[] = [];
    bus.onEvent((e) => seen.push(e));
    const runs = ["a", "b", "c"];
    // 300 events, runs interleaved in a scrambled but deterministic order.
    for (let i = 0; i < 300; i++) void bus.emit(stepStarted(runs[(i * 7) % 3]!));
    for (const runId of runs) {
      const seqs = seen.filter((e) => e.runId === runId).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    }
    expect(new Set(seen.map((e) => e.id)).size).toBe(300);
  });

  it("two runs of the same workflow do not share or reset each other's counter", () => {
    const bus = createBus();
    void bus.emit(runStarted("first"));
    void bus.emit(stepStarted("first"));
    const second = runStarted("second");
    void bus.emit(second);
    const third = stepStarted("first");
    void bus.emit(third);
    expect((second as RuntrailEvent).seq).toBe(1);
    expect((third as RuntrailEvent).seq).toBe(3);
    expect(bus.lastSeq("first")).toBe(3);
  });

  it("refuses an emit after the run's terminal event instead of restarting at 1", () => {
    const bus = createBus();
    void bus.emit(runStarted("r"));
    void bus.emit(runCompleted("r"));
    expect(() => bus.emit(stepStarted("r"))).toThrow(RunEndedError);
    expect(bus.stats().activeRuns).toBe(0);
  });

  it("refuses an event for a live run from another account, stamping nothing, and tells whose run it is", () => {
    const bus = createBus();
    const seen: string[] = [];
    bus.onEvent((e) => seen.push(`${e.accountId}:${e.seq}`));
    void bus.emit({ ...runStarted("shared"), accountId: "acme" });
    const intruder = { ...stepStarted("shared"), accountId: "globex" };
    expect(() => bus.emit(intruder)).toThrow(RunAccountError);
    expect(() => bus.emit({ ...stepStarted("shared"), accountId: "globex" })).toThrow(
      'run "shared" belongs to account "acme"; an event for it from account "globex" was refused',
    );
    expect(intruder).not.toHaveProperty("seq");
    // The default account is an account too; the owner's own events go on with no gap.
    expect(() => bus.emit(stepStarted("shared"))).toThrow(RunAccountError);
    void bus.emit({ ...stepStarted("shared"), accountId: "acme" });
    expect(seen).toEqual(["acme:1", "acme:2"]);
    // A resumed run takes the account of its first event.
    bus.resumeRun("back", 5);
    void bus.emit({ ...stepStarted("back"), accountId: "initech" });
    expect(() => bus.emit(stepStarted("back"))).toThrow(RunAccountError);
  });

  it("continues a resumed run after its last stored seq", () => {
    const bus = createBus();
    bus.resumeRun("r", 41);
    const input = stepStarted("r");
    void bus.emit(input);
    expect((input as RuntrailEvent).seq).toBe(42);
  });

  it("refuses an object it already stamped, which would rewrite an emitted event", () => {
    const bus = createBus();
    const input = stepStarted("r");
    void bus.emit(input);
    expect(() => bus.emit(input)).toThrow(EventReusedError);
    expect((input as RuntrailEvent).seq).toBe(1);
  });

  it("refuses emits after close", async () => {
    const bus = createBus();
    await bus.close();
    expect(() => bus.emit({ type: "run.started", runId: "r", workflow: wf })).toThrow(BusClosedError);
  });
});
