import { describe, expect, it } from "vitest";
import type { RuntrailEvent } from "runtrail";
import { createControl, type ControlFailure, type ControlHandlerObject } from "../../src/control/index.js";
import { makeTrail } from "./control-helpers.js";

/** An object handler that records what its onEvent observes. */
function watcher(seen: string[], label: string, observes?: ControlHandlerObject["observes"]): ControlHandlerObject {
  return {
    ...(observes === undefined ? {} : { observes }),
    check: () => undefined,
    onEvent: (event: RuntrailEvent) => void seen.push(`${label}:${event.type}#${event.seq}`),
  };
}

describe("control manager: attach and notify", () => {
  it("forwards bus events to onEvent, filtered by `observes`, in priority order, until detached", () => {
    const trail = makeTrail();
    const control = createControl();
    const seen: string[] = [];
    control.register(watcher(seen, "late"), { name: "late", priority: 50 });
    control.register(watcher(seen, "steps", ["step.completed", "step.failed"]), { name: "steps", priority: 10 });
    control.register(() => undefined, { name: "plain-function" });
    const detach = control.attach(trail.bus);
    trail.runStarted();
    trail.stepStarted("a");
    trail.stepFailed("a");
    trail.stepCompleted("a", 2);
    detach();
    trail.stepCompleted("b");
    expect(seen).toEqual([
      "late:run.started#1",
      "late:step.started#2",
      "steps:step.failed#3",
      "late:step.failed#3",
      "steps:step.completed#4",
      "late:step.completed#4",
    ]);
  });

  it("applies the `steps` scope to onEvent too", () => {
    const trail = makeTrail();
    const control = createControl();
    const seen: string[] = [];
    control.register(watcher(seen, "fetch", ["step.*"]), { name: "fetch", steps: ["fetch"] });
    control.attach(trail.bus);
    trail.stepCompleted("parse");
    trail.stepCompleted("fetch");
    expect(seen).toEqual(["fetch:step.completed#2"]);
  });

  it("isolates an onEvent that throws or rejects: reported as phase observe, counted, others still run", async () => {
    const trail = makeTrail();
    const failures: ControlFailure[] = [];
    const control = createControl({ onError: (f) => failures.push(f) });
    const seen: string[] = [];
    control.register(
      {
        check: () => undefined,
        onEvent: () => {
          throw new Error("observer bug");
        },
      },
      { name: "thrower", priority: 1 },
    );
    control.register(
      { check: () => undefined, onEvent: (() => Promise.reject(new Error("async bug"))) as () => void },
      { name: "rejecter", priority: 2 },
    );
    control.register(watcher(seen, "ok"), { name: "ok", priority: 3 });
    control.attach(trail.bus);
    trail.stepCompleted("a");
    await Promise.resolve();
    expect(seen).toEqual(["ok:step.completed#1"]);
    expect(failures.map((f) => [f.handler, f.kind, f.phase, (f.error as Error).message])).toEqual([
      ["thrower", "threw", "observe", "observer bug"],
      ["rejecter", "threw", "observe", "async bug"],
    ]);
    expect(control.stats()).toMatchObject({ observerErrors: 2, handlerErrors: 0 });
    expect(trail.bus.stats().listenerErrors).toBe(0);
  });

  it("notify works without a bus, and an unregistered handler observes nothing more", () => {
    const trail = makeTrail();
    const control = createControl();
    const seen: string[] = [];
    control.register(watcher(seen, "w"), { name: "w" });
    const first = trail.stepStarted("a");
    const second = trail.stepStarted("b");
    control.notify(first);
    control.unregister("w");
    control.notify(second);
    expect(seen).toEqual(["w:step.started#1"]);
  });
});
