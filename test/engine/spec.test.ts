import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { StepContext } from "../../src/engine/index.js";
import { WorkflowDefinitionError } from "../../src/engine/index.js";
import { loadWorkflow, parseWorkflow } from "../../src/engine/workflow-load.js";
import { recordingBus, steps } from "./engine-helpers.js";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function failure(run: () => unknown): WorkflowDefinitionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    return error as WorkflowDefinitionError;
  }
  throw new Error("expected a WorkflowDefinitionError");
}

const where = (e: WorkflowDefinitionError) => e.issues.map((i) => ({ path: "/" + i.path.join("/"), line: i.line, message: i.message }));

describe("YAML/JSON specs", () => {
  it("loads a YAML file and runs it: needs, input, if/else, foreach with retry, output expression", async () => {
    const paid: number[] = [];
    let failedOnce = false;
    const handlers = {
      fetchOrders: () => [40, 70],
      sum: (ctx: StepContext) => (ctx.input as number[]).reduce((a, b) => a + b, 0),
      alert: () => "alerted",
      log: () => "logged",
      pay: (ctx: StepContext) => {
        if (!failedOnce) {
          failedOnce = true;
          throw new Error("card declined");
        }
        paid.push(ctx.input as number);
        ctx.vars.set("charged", (ctx.vars.get<number>("charged") ?? 0) + (ctx.input as number));
        return "paid";
      },
    };
    const wf = await loadWorkflow(fixture("orders.yaml"), { handlers });
    expect([wf.name, wf.version]).toEqual(["orders", "2"]);
    const { bus, events } = recordingBus();
    const run = wf.start(undefined, { bus });
    expect(await run.result).toEqual({ total: 110, big: true });
    expect(paid.sort()).toEqual([40, 70]);
    expect(run.variables()).toEqual({ charged: 110 });
    expect(steps(events).filter(([t]) => t === "step.skipped")).toEqual([["step.skipped", "log"]]);
    expect(events.find((e) => e.type === "step.started" && e.stepId === "total")).toMatchObject({ input: [40, 70] });
    expect(events.filter((e) => e.type === "step.retrying").map((e) => [e.stepId, e.path])).toEqual([["pay", [0]]]);
  });

  it("reports unknown needs, missing handlers and bad CEL with file, path and line", () => {
    const handlers = { first: () => 1, second: () => 2 };
    const error = failure(() => parseWorkflow(`name: broken
steps:
  - id: a
    run: first
  - id: b
    run: second
    needs: [a, zz]
  - id: c
    run: nowhere
    when: "steps.a >"
`, { handlers, file: "flows/broken.yaml" }));
    expect(where(error)).toEqual([
      { path: "/steps/1/needs/1", line: 7, message: 'step "b": needs unknown step "zz"' },
      { path: "/steps/2/run", line: 9, message: 'step "c": handler "nowhere" is not registered (registered: first, second)' },
      { path: "/steps/2/when", line: 10, message: 'step "c": when: bad expression "steps.a >": Unexpected token: EOF at column 10' },
    ]);
    expect(error.file).toBe("flows/broken.yaml");
    expect(error.message.split("\n")).toEqual([
      'flows/broken.yaml (workflow "broken") is invalid:',
      '  /steps/1/needs/1 (line 7): step "b": needs unknown step "zz"',
      '  /steps/2/run (line 9): step "c": handler "nowhere" is not registered (registered: first, second)',
      '  /steps/2/when (line 10): step "c": when: bad expression "steps.a >": Unexpected token: EOF at column 10',
    ]);
  });

  it("names the file it loaded when reading from disk", async () => {
    const error = await loadWorkflow(fixture("broken.yaml"), { handlers: { first: () => 1, second: () => 2 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    expect((error as WorkflowDefinitionError).message.split("\n")[0]).toBe(`${fixture("broken.yaml")} (workflow "broken") is invalid:`);
  });

  it("reports a cycle and a duplicate id with their lines", () => {
    const error = failure(() => parseWorkflow(`steps:
  - id: a
    run: h
    needs: [b]
  - id: b
    run: h
    needs: [a]
  - id: a
    run: h
`, { handlers: { h: () => 1 }, file: "cycle.yaml" }));
    expect(where(error)).toEqual([
      { path: "/steps/1/needs", line: 7, message: 'cycle: "b" → "a" → "b"' },
      { path: "/steps/2/id", line: 8, message: 'duplicate step id "a" (first declared at /steps/0)' },
    ]);
    expect(error.workflow).toBe("cycle");
  });

  it("reports wrong types and unknown fields from the schema", () => {
    const error = failure(() => parseWorkflow(`name: typed
steps:
  - id: a
    run: h
    timeoutMs: soon
  - id: b
    run: h
    needs: a
    retyr: { attempts: 2 }
`, { handlers: { h: () => 1 } }));
    expect(where(error)).toEqual([
      { path: "/steps/0/timeoutMs", line: 5, message: 'expected number (got "soon")' },
      { path: "/steps/1/needs", line: 8, message: 'expected array (got "a")' },
      { path: "/steps/1/retyr", line: 9, message: 'unknown field "retyr"' },
    ]);
  });

  it("reports YAML syntax errors with their line", () => {
    const error = failure(() => parseWorkflow("steps:\n  - id: a\n    needs: [a,\n  - id: b\n", { file: "bad.yaml" }));
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.issues[0]!.message.startsWith("not valid YAML/JSON: ")).toBe(true);
    expect(error.issues[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it("accepts JSON, with lines too, and a while loop needs max", () => {
    const error = failure(() => parseWorkflow(JSON.stringify({ name: "j", steps: [{ id: "w", while: "true", do: { steps: [{ id: "x", run: "h" }] } }] }, null, 2), { handlers: { h: () => 1 } }));
    expect(where(error)).toEqual([{ path: "/steps/0/max", line: 4, message: 'step "w": a while loop needs max, an integer of at least 1 (none given)' }]);
    const wf = parseWorkflow('{"name": "ok", "steps": [{"id": "a", "run": "h"}]}', { handlers: { h: () => 1 } });
    expect(wf.name).toBe("ok");
  });
});
