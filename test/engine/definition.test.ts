import { describe, expect, expectTypeOf, it } from "vitest";
import { WorkflowDefinitionError, workflow, type StepContext, type Workflow } from "../../src/engine/index.js";

function issuesOf(build: () => unknown): { path: string; stepId?: string; message: string }[] {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    return (error as WorkflowDefinitionError).issues.map((i) => ({
      path: "/" + i.path.join("/"),
      ...(i.stepId === undefined ? {} : { stepId: i.stepId }),
      message: i.message,
    }));
  }
  throw new Error("expected a WorkflowDefinitionError");
}

describe("definition validation (at build time)", () => {
  it("an unknown step in needs names the step and the missing one", () => {
    expect(issuesOf(() => workflow("w").step("a", () => 1).step("b", () => 2, { needs: ["a", "zz" as "a"] }).build())).toEqual([
      { path: "/steps/1/needs/1", stepId: "b", message: 'step "b": needs unknown step "zz"' },
    ]);
  });

  it("a cycle names the steps on it in order", () => {
    const model = workflow("w").step("a", () => 1).step("b", () => 2, { needs: ["a"] }).model();
    // The typed builder cannot name a later step in needs, so the cycle is made in the model.
    const cyclic = { ...model, nodes: [{ ...model.nodes[0]!, needs: ["b"] }, model.nodes[1]!] };
    const { compileGraph } = requireCompile();
    expect(issuesOf(() => compileGraph(cyclic))).toEqual([{ path: "/steps/1/needs", stepId: "b", message: 'cycle: "b" → "a" → "b"' }]);
  });

  it("a duplicate id names where it was first declared", () => {
    expect(issuesOf(() => workflow("w").step("a", () => 1).step("a", () => 2).build())).toEqual([
      { path: "/steps/1/id", stepId: "a", message: 'duplicate step id "a" (first declared at /steps/0)' },
    ]);
  });

  it("a missing handler", () => {
    expect(issuesOf(() => workflow("w").step("a", undefined as unknown as () => number).build())).toEqual([
      { path: "/steps/0/run", stepId: "a", message: 'step "a": has no handler (a function to run)' },
    ]);
  });

  it("bad expressions: syntax (with column), unknown variable, non-boolean condition", () => {
    const issues = issuesOf(() =>
      workflow("w")
        .step("a", () => 1, { when: "steps.a >" })
        .step("b", () => 1, { when: "nope > 1" })
        .step("c", () => 1, { when: "'text'" })
        .build(),
    );
    expect(issues).toEqual([
      { path: "/steps/0/when", stepId: "a", message: 'step "a": when: bad expression "steps.a >": Unexpected token: EOF at column 10' },
      { path: "/steps/1/when", stepId: "b", message: 'step "b": when: bad expression "nope > 1": Unknown variable: nope at column 1' },
      { path: "/steps/2/when", stepId: "c", message: `step "c": when: bad expression "'text'": a condition must be bool, this is string` },
    ]);
  });

  it("reports every issue at once, and the message lists them", () => {
    try {
      workflow("many").step("a", () => 1).step("a", () => 1, { needs: ["x" as never] }).while("w", { condition: "true", max: 0, do: workflow("b").step("z", () => 1).build() }).build();
      expect.unreachable();
    } catch (error) {
      const e = error as WorkflowDefinitionError;
      expect(e.issues.length).toBe(3);
      expect(e.message).toBe(
        [
          'workflow "many" is invalid:',
          '  /steps/1/id: duplicate step id "a" (first declared at /steps/0)',
          '  /steps/1/needs/0: step "a": needs unknown step "x"',
          '  /steps/2/max: step "w": a while loop needs max, an integer of at least 1 (got 0)',
        ].join("\n"),
      );
    }
  });

  it("an expression that reads steps.x must need x (directly or through its needs)", () => {
    expect(issuesOf(() =>
      workflow("w")
        .step("a", () => 1)
        .step("b", () => 2, { needs: ["a"] })
        .step("c", () => 3, { needs: ["b"], when: "steps.a > 0.0" })
        .step("d", () => 4, { when: "steps.b > 0.0" })
        .step("e", () => 5, { when: "steps.zz > 0.0" })
        .build(),
    )).toEqual([
      { path: "/steps/3/when", stepId: "d", message: 'step "d": when reads steps.b but "b" is not among the steps it needs (add it to needs)' },
      { path: "/steps/4/when", stepId: "e", message: 'step "e": when reads steps.zz, an unknown step' },
    ]);
  });

  it("if arms must name existing steps, once", () => {
    expect(issuesOf(() => workflow("w").if("big", "true", { then: ["nope"], else: [] }).build())).toEqual([
      { path: "/steps/0/then/0", stepId: "big", message: 'step "big": then names unknown step "nope"' },
    ]);
  });

  it("loop bodies are validated with their path", () => {
    const body = workflow("body").step("x", () => 1).build();
    const bad = { ...body.graph.model, nodes: [{ ...body.graph.model.nodes[0]!, needs: ["ghost"] }] };
    const { compileGraph } = requireCompile();
    const outer = workflow("outer").model();
    expect(issuesOf(() => compileGraph({ ...outer, nodes: [{ id: "each", kind: "foreach", items: "input", body: bad }] }))).toEqual([
      { path: "/steps/0/do/steps/0/needs/0", stepId: "x", message: 'step "x": needs unknown step "ghost"' },
    ]);
  });
});

import * as compile from "../../src/engine/define/graph-compile.js";
function requireCompile(): typeof compile {
  return compile;
}

describe("builder types", () => {
  it("infers each step's output and types ctx.steps from needs", () => {
    const wf = workflow<{ url: string }>("typed")
      .step("fetch", async (ctx) => {
        expectTypeOf(ctx.input).toEqualTypeOf<{ url: string }>();
        return { body: "x", status: 200 };
      })
      .step("size", (ctx) => {
        expectTypeOf(ctx.steps.fetch).toEqualTypeOf<{ body: string; status: number }>();
        // @ts-expect-error "size" did not declare a need on "nothing"
        void ctx.steps.nothing;
        return ctx.steps.fetch.body.length;
      }, { needs: ["fetch"] })
      .step("label", (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<StepContext<{ url: string }, Pick<{ readonly fetch: { body: string; status: number } } & { readonly size: number }, never>>>();
        return String(ctx.input.url);
      })
      .build();
    expectTypeOf(wf).toEqualTypeOf<Workflow<{ url: string }, string>>();
    expectTypeOf<ReturnType<typeof wf.run>>().toEqualTypeOf<Promise<string>>();
    expect(wf.name).toBe("typed");
  });

  it("types ctx.steps with the needs and their ancestors, nothing else", () => {
    workflow<number>("ancestors")
      .step("a", () => "text")
      .step("b", () => 2, { needs: ["a"] })
      .step("side", () => true)
      .step("c", (ctx) => {
        expectTypeOf(ctx.steps).toEqualTypeOf<Pick<{ readonly a: string } & { readonly b: number } & { readonly side: boolean }, "a" | "b">>();
        // @ts-expect-error "side" is neither needed nor an ancestor of a need
        void ctx.steps.side;
        return ctx.steps.a.length + ctx.steps.b;
      }, { needs: ["b"] });
  });

  it("rejects needs on steps not declared yet, at compile time", () => {
    const build = () =>
      workflow("w")
        .step("a", () => 1)
        // @ts-expect-error "b" is not a known step
        .step("c", () => 2, { needs: ["b"] });
    // The type error is the test; at run time build() rejects it too.
    expect(() => build().build()).toThrow(WorkflowDefinitionError);
  });

  it("types loops, branches, sub-workflows and output()", () => {
    const body = workflow<number>("sq").step("sq", (ctx) => ctx.input * ctx.input).build();
    const child = workflow<string>("len").step("len", (ctx) => ctx.input.length).build();
    const wf = workflow<number[]>("mix")
      .foreach("each", { items: (s) => s.input, concurrency: 2, do: body })
      .if("any", (s) => s.input.length > 0, { then: [] })
      .subworkflow("name", child, { input: () => "abc" })
      .output((s) => ({ squares: s.steps.each, any: s.steps.any, n: s.steps.name }))
      .build();
    expectTypeOf(wf).toEqualTypeOf<Workflow<number[], { squares: number[]; any: boolean; n: number }>>();
  });
});
