/** Events a step emits itself. Their type starts with `x.`, so they never collide with Runtrail's. */
import { Type } from "@sinclair/typebox";
import { EnvelopeProperties } from "../envelope.js";
import { Json } from "../fields.js";

export const CustomEvent = Type.Object(
  {
    type: Type.TemplateLiteral("x.${string}"),
    ...EnvelopeProperties,
    data: Type.Optional(Json),
  },
  { $id: "x.*", description: "a custom event a step emitted" },
);

export const customEvents = [CustomEvent] as const;
