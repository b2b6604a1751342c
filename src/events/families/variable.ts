/** A run variable (the run's datamodel) changed (seed 001). */
import { Type } from "@sinclair/typebox";
import { defineEvent } from "../envelope.js";
import { Json } from "../fields.js";

export const VariableChanged = defineEvent(
  "variable.changed",
  { variable: Type.Object({ name: Type.String({ minLength: 1 }), old: Type.Optional(Json), new: Json }) },
  "a run variable was set",
);

export const variableEvents = [VariableChanged] as const;
