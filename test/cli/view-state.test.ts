/**
 * The live view's reducer and renderer, as pure functions: the run state they show is the
 * projection's (a batch at a time gives what one event at a time gives), the input state is never
 * changed, each batch's finished lines are its own, and the text needs no terminal.
 */
import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { createBus, createControl, projectRun, retryPolicy, workflow, type RuntrailEvent } from "../../src/index.js";
import { eventLine } from "../../src/cli/live/event-line.js";
import { renderLine, renderWindow } from "../../src/cli/live/view-render.js";
import { EMPTY_VIEW, reduceView, type ViewState } from "../../src/cli/live/view-state.js";

const plain = pc.createColors(false);

async function trail(): Promise<RuntrailEvent[]> {
  let calls = 0;
  const child = workflow("child").step("inner", () => 1).build();
  const wf = workflow<{ items: number[] }>("sample")
    .vars({ phase: "start" })
    .foreach("each", { items: "input.items", do: workflow<number>("one").step("double", (ctx) => ctx.input * 2).build() })
    .step("flaky", () => {
      if (++calls < 2) throw new Error("503");
      return "ok";
    }, { needs: ["each"] })
    .step("never", () => 0, { needs: ["each"], when: "size(input.items) > 10" })
    .subworkflow("sub", child, { needs: ["flaky"] })
    .step("end", (ctx) => {
      ctx.vars.set("phase", "done");
      return "end";
    }, { needs: ["sub", "never"] })
    .build();
  const bus = createBus();
  const events: RuntrailEvent[] = [];
  bus.onEvent((e) => events.push(e));
  const control = createControl();
  control.use(retryPolicy({ maxAttempts: 2, initialDelayMs: 1 }));
  await wf.run({ items: [1, 2] }, { bus, control });
  return events;
}

describe("live view state", () => {
  it("batches give the projection's state and the same lines as single events; the input is never changed", async () => {
    const events = await trail();
    const root = events[0]!.runId;
    let one: ViewState = EMPTY_VIEW;
    const oneLines: string[] = [];
    for (const event of events) {
      const before = JSON.stringify(one);
      const next = reduceView(one, [event]);
      expect(JSON.stringify(one)).toBe(before);
      oneLines.push(...next.lines.map((line) => renderLine(next, line, plain)));
      one = next;
    }
    let batched: ViewState = EMPTY_VIEW;
    const batchLines: string[] = [];
    for (let i = 0; i < events.length; i += 7) {
      batched = reduceView(batched, events.slice(i, i + 7));
      batchLines.push(...batched.lines.map((line) => renderLine(batched, line, plain)));
    }
    expect(batchLines).toEqual(oneLines);
    expect(batched.runs[root]).toEqual(projectRun(events.filter((e) => e.runId === root)));
    expect(reduceView(batched, []).lines).toEqual([]);
    expect(batched.events).toBe(events.length);
    expect(oneLines).toContain("○ never skipped: when \"size(input.items) > 10\" was false");
    expect(oneLines.find((l) => l.startsWith("↻"))).toMatch(/^↻ flaky attempt 1 failed \(503\); attempt 2 in \d+ms, decided by retry$/);
    expect(oneLines.filter((l) => /^✓ double\[\d\] \d+ms$/.test(l))).toHaveLength(2);
    expect(oneLines.some((l) => l.startsWith("✓ child › inner "))).toBe(true);
    expect(oneLines.at(-1)).toMatch(/^● run sample completed in /);
  });

  it("the window shows running steps with elapsed time, attempts, the open wave, loops, calls and variables", async () => {
    const events = await trail();
    const cut = events.findIndex((e) => e.type === "step.started" && e.stepId === "flaky" && e.attempt === 2);
    const view = reduceView(EMPTY_VIEW, events.slice(0, cut + 1));
    const started = events[cut]!.ts;
    const text = renderWindow(view, started + 1_500, plain);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^⠋|^[⠙⠹⠸⠼⠴⠦⠧⠇⠏] sample \S+ \d/);
    expect(lines[0]).toContain("wave 1: flaky, never");
    expect(text).toContain("flaky attempt 2 1.5s");
    expect(text).toMatch(/\d+% \d\/5 steps/);
    expect(text).toContain('vars phase = "start"');

    expect(text).not.toMatch(/\u001b/);
    expect(renderWindow(EMPTY_VIEW, 0, plain)).toBe("");
  });

  it("a plain event line never carries a control character from the data", () => {
    const event = { type: "x.note", id: "r:1", runId: "r", accountId: "default", workflow: { name: "w" }, seq: 1, ts: 0, data: "\u001b[31mred\u001b[0m\nnext" } as unknown as RuntrailEvent;

    expect(eventLine(event)).not.toMatch(/[\u0000-\u001f]/);
    expect(eventLine(event)).toBe('#1 x.note "\\u001b[31mred\\u001b[0m\\nnext"');
  });

  it("a suspended run's line says what it waits for; signal lines say what came", () => {
    const base = { id: "r:2", runId: "r", accountId: "default", workflow: { name: "w" }, seq: 2, ts: 0 };
    const line = (event: object): string => eventLine({ ...base, ...event } as unknown as RuntrailEvent);
    expect(line({ type: "run.suspended", reason: "step waits", by: "step:ask", waitingFor: "approval" })).toBe('#2 run.suspended waiting for signal "approval" (by step:ask)');
    expect(line({ type: "run.suspended", reason: "night", by: "ops" })).toBe("#2 run.suspended: night (by ops)");
    expect(line({ type: "signal.received", stepId: "ask", signal: "approval", index: 0, payload: { ok: true } })).toBe('#2 signal.received ask "approval" {"ok":true}');
    expect(line({ type: "signal.timeout", stepId: "ask", signal: "approval", index: 0, timeoutMs: 1500, action: "resume" })).toBe('#2 signal.timeout ask "approval" after 1.5s: the step goes on');
    expect(line({ type: "run.resumed", signal: "approval", by: "alice" })).toBe('#2 run.resumed by signal "approval" (by alice)');
  });

  it("a loop's lines name the loop once (its stepId), and a loop inside another step by its id", () => {
    const base = { id: "r:5", runId: "r", accountId: "default", workflow: { name: "w" }, seq: 5, ts: 0 };
    const line = (event: object): string => eventLine({ ...base, ...event } as unknown as RuntrailEvent);
    expect(line({ type: "loop.started", stepId: "validate", loopId: "validate", kind: "foreach", total: 3 })).toBe("#5 loop.started validate (3 items)");
    expect(line({ type: "loop.iteration", stepId: "validate", path: [0], loopId: "validate", iteration: { index: 0 } })).toBe("#5 loop.iteration validate[0]");
    expect(line({ type: "loop.completed", stepId: "validate", loopId: "validate", iterations: 3, durationMs: 4 })).toBe("#5 loop.completed validate: 3 iterations");
    expect(line({ type: "loop.iteration", stepId: "outer", path: [1], loopId: "inner", iteration: { index: 2 } })).toBe("#5 loop.iteration outer[1] inner[2]");
  });
});
