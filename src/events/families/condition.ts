/** A condition was evaluated: an if/else branch, a when guard or a while test (seeds 000, 001). */
import { Type, type Static } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";
import { Json } from "../fields.js";

export const ConditionKind = Type.Union([
  Type.Literal("if"),
  Type.Literal("else"),
  Type.Literal("when"),
  Type.Literal("while"),
]);
export type ConditionKind = Static<typeof ConditionKind>;

export const ConditionEvaluated = defineEvent(
  "condition.evaluated",
  {
    conditionId: Type.String({ minLength: 1 }),
    kind: ConditionKind,
    /** The expression's source text, or a function's name for TypeScript conditions. */
    expression: Type.String(),
    result: Type.Boolean(),
    /** The values the expression saw. */
    scope: Type.Optional(Json),
  },
  "a condition was evaluated",
);

export const conditionEvents = [ConditionEvaluated] as const;
