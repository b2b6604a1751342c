/**
 * Replay gives the live answers: for a sample run (variables, a retried step, a skipped step,
 * parallel steps), the state projected from the store at every seq equals the state the live
 * run had right after emitting that seq.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBus, type RuntrailEvent } from "runtrail";
import { workflow } from "../../src/engine/index.js";
import { reduceRun, type RunState } from "../../src/projections/index.js";
import { createStoreWriter, stateAt } from "../../src/store/index.js";
import { STORES, type OpenedStore } from "./store-fixtures.js";

function sampleWorkflow() {
  let flakyCalls = 0;
  return workflow<{ orders: number }>("replay-sample", { version: "3" })
    .vars({ stage: "new" })
    .step("load", (ctx) => {
      ctx.vars.set("stage", "loaded");
      ctx.metrics.orders = ctx.input.orders;
      return ctx.input.orders;
    })
    .step(
      "flaky",
      () => {
        flakyCalls++;
        if (flakyCalls === 1) throw new Error("transient");
        return "ok";
      },
      { needs: ["load"], retry: { attempts: 2, backoff: 1 } },
    )
    .step("audit", () => "audited", { needs: ["load"], when: "input.orders > 100" })
    .step(
      "save",
      (ctx) => {
        ctx.vars.set("stage", "saved");
        ctx.issues.push("slow disk");
        return ctx.steps.load * 2;
      },
      { needs: ["flaky", "audit"] },
    )
    .build();
}

for (const factory of STORES) {
  describe(`replay state at every seq: ${factory.name}`, () => {
    let opened: OpenedStore;
    beforeEach(async () => {
      opened = await factory.open();
    });
    afterEach(async () => {
      await opened.dispose();
    });

    it("equals the live state after each event", async () => {
      const bus = createBus();
      const live: RunState[] = [];
      const events: RuntrailEvent[] = [];
      let state: RunState | undefined;
      bus.onEvent((event) => {
        events.push(event);
        state = reduceRun(state, event);
        live.push(state!);
      });
      const writer = createStoreWriter(bus, opened.store);
      const output = await sampleWorkflow().run({ orders: 7 }, { bus, runId: "replay-1", accountId: "acme" });
      await writer.close();
      expect(output).toBe(14);

      // The sample covers what makes state interesting.
      const types = new Set(events.map((e) => e.type));
      for (const type of ["variable.changed", "step.retrying", "step.skipped", "progress.updated", "run.completed"]) {
        expect(types, type).toContain(type);
      }
      expect(live.at(-1)).toMatchObject({ status: "completed", variables: { stage: "saved" } });

      for (let seq = 1; seq <= events.length; seq++) {
        expect(await stateAt(opened.store, "acme", "replay-1", seq), `seq ${seq}`).toEqual(live[seq - 1]);
      }
      expect(await stateAt(opened.store, "acme", "replay-1")).toEqual(live.at(-1));
      // Another account sees no state at all.
      expect(await stateAt(opened.store, "default", "replay-1")).toBeUndefined();
    });
  });
}
