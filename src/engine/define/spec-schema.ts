/**
 * The schema of a workflow spec file (YAML or JSON): the same model as the TypeScript builder,
 * with handlers and sub-workflows named instead of passed. TypeBox, so the JSON Schema and the
 * TypeScript type come from one definition.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";

const Id = Type.String({ minLength: 1 });
const Expression = Type.String({ minLength: 1, description: "a CEL expression" });

/** A step of a spec: exactly one of run, workflow, if, foreach, while says what it does. */
function stepSchema(self: TSchema) {
  return Type.Object(
    {
      id: Id,
      needs: Type.Optional(Type.Array(Id)),
      when: Type.Optional(Expression),
      input: Type.Optional(Expression),
      retry: Type.Optional(
        Type.Object(
          {
            attempts: Type.Integer({ minimum: 1 }),
            backoff: Type.Optional(
              Type.Union([
                Type.Number({ minimum: 0 }),
                Type.Object(
                  {
                    initialDelayMs: Type.Optional(Type.Number({ minimum: 0 })),
                    factor: Type.Optional(Type.Number({ minimum: 1 })),
                    maxDelayMs: Type.Optional(Type.Number({ minimum: 0 })),
                    jitter: Type.Optional(Type.Union([Type.Literal("none"), Type.Literal("full"), Type.Literal("equal")])),
                  },
                  { additionalProperties: false },
                ),
              ]),
            ),
          },
          { additionalProperties: false },
        ),
      ),
      timeoutMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      tag: Type.Optional(Type.String()),
      key: Type.Optional(Type.String()),
      /** false: crash recovery must not run this step again (the run fails naming it instead). */
      idempotent: Type.Optional(Type.Boolean()),
      /** The name of a registered handler. */
      run: Type.Optional(Id),
      /** The name of a registered workflow, run as a sub-workflow. */
      workflow: Type.Optional(Id),
      if: Type.Optional(Expression),
      then: Type.Optional(Type.Array(Id)),
      else: Type.Optional(Type.Array(Id)),
      foreach: Type.Optional(Expression),
      while: Type.Optional(Expression),
      max: Type.Optional(Type.Integer({ minimum: 1 })),
      concurrency: Type.Optional(Type.Integer({ minimum: 1 })),
      do: Type.Optional(self),
    },
    { additionalProperties: false },
  );
}

/**
 * A graph of steps: the document itself, or a loop's `do`.
 * @example
 * Value.Check(WorkflowSpecSchema, YAML.parse(text))
 */
export const WorkflowSpecSchema = Type.Recursive(
  (self) =>
    Type.Object(
      {
        name: Type.Optional(Id),
        version: Type.Optional(Type.String()),
        description: Type.Optional(Type.String()),
        vars: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        output: Type.Optional(Expression),
        concurrency: Type.Optional(Type.Integer({ minimum: 1 })),
        /** What a lease holder does with a run whose process died: resume it from its trail, or end it (`fail`, the default). */
        recover: Type.Optional(Type.Union([Type.Literal("resume"), Type.Literal("fail")])),
        steps: Type.Array(stepSchema(self)),
      },
      { additionalProperties: false },
    ),
  { $id: "WorkflowSpec", title: "Runtrail workflow spec" },
);

/**
 * A parsed spec document.
 * @example
 * const spec: WorkflowSpec = { name: "w", steps: [{ id: "a", run: "doA" }] };
 */
export type WorkflowSpec = Static<typeof WorkflowSpecSchema>;
/**
 * One step of a spec.
 * @example
 * const step: StepSpec = { id: "each", foreach: "input.files", concurrency: 3, do: { steps: [{ id: "f", run: "resize" }] } };
 */
export type StepSpec = WorkflowSpec["steps"][number];
