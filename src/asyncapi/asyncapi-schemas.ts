/**
 * The event JSON Schema cut into AsyncAPI components: one schema and one message per event type
 * (keyed by the type; `x.*` as `x-custom`), and the union as `RuntrailEvent`, made of `$ref`s.
 */
import { eventJsonSchema } from "../events/index.js";

type JsonObject = Record<string, unknown>;

/**
 * The component key of an event type: AsyncAPI keys allow letters, digits, `.`, `-` and `_`.
 *
 * @example
 * componentKey("step.completed") // "step.completed"
 * componentKey("x.*")            // "x-custom"
 */
export function componentKey(type: string): string {
  return type === "x.*" ? "x-custom" : type;
}

/** Schemas and messages of every event type, from `eventJsonSchema()`. */
export function eventComponents(): { schemas: JsonObject; messages: JsonObject; types: string[] } {
  const union = eventJsonSchema() as { anyOf: JsonObject[] };
  const schemas: JsonObject = {};
  const messages: JsonObject = {};
  const types: string[] = [];
  for (const member of union.anyOf) {
    const { $id, ...schema } = member as { $id: string } & JsonObject;
    const key = componentKey($id);
    types.push($id);
    schemas[key] = { title: $id, ...schema };
    messages[key] = {
      name: $id,
      title: $id,
      summary: String(schema.description ?? $id),
      contentType: "application/json",
      payload: { $ref: `#/components/schemas/${key}` },
    };
  }
  schemas.RuntrailEvent = {
    title: "Runtrail event",
    description: "Any event of the trail: a discriminated union on `type`.",
    anyOf: types.map((type) => ({ $ref: `#/components/schemas/${componentKey(type)}` })),
  };
  return { schemas, messages, types };
}
