/**
 * A workflow's shape as data, carried once per run on `run.started`: its steps, what each waits
 * for, and which loop each sits in. Flat (a loop's body follows the loop, each body step naming
 * its enclosing loops), so the schema has no recursion and a viewer reads it in one pass.
 */
import { Type, type Static } from "@sinclair/typebox";
import { WorkflowRef } from "../fields.js";

/** What a node of the graph is: a step, a sub-workflow, an if, or a loop (its body follows it). */
export const StepKind = Type.Union([Type.Literal("step"), Type.Literal("workflow"), Type.Literal("if"), Type.Literal("foreach"), Type.Literal("while")]);
export type StepKind = Static<typeof StepKind>;

/** One node of the workflow's graph. */
export const GraphStep = Type.Object(
  {
    /** The step's id, as its events' `stepId`. */
    id: Type.String({ minLength: 1 }),
    kind: StepKind,
    /** The steps of the same body it waits for: its `needs`, and the if-step whose arm it is in. */
    needs: Type.Optional(Type.Array(Type.String())),
    /** For an if-step: the steps of its then and else arms. */
    then: Type.Optional(Type.Array(Type.String())),
    else: Type.Optional(Type.Array(Type.String())),
    /** The loops whose body holds the step, outermost first (absent at the top level). */
    in: Type.Optional(Type.Array(Type.String())),
    /** For a sub-workflow step: the workflow it runs (as its own run, with this run as parent). */
    workflow: Type.Optional(WorkflowRef),
  },
  { additionalProperties: false },
);
export type GraphStep = Static<typeof GraphStep>;

/** The graph of a run's workflow: every step, loop bodies right after their loop. */
export const RunGraph = Type.Object({ steps: Type.Array(GraphStep) }, { additionalProperties: false, description: "the workflow's steps and their dependencies" });
export type RunGraph = Static<typeof RunGraph>;
