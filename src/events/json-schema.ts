/**
 * The JSON Schema of Runtrail's events, for tools outside TypeScript.
 */
import { RuntrailEventSchema } from "./catalog.js";

/**
 * The JSON Schema (draft 2020-12) of every event, as plain JSON.
 * The same document is committed as `schema/runtrail-event.schema.json`.
 *
 * @example
 * writeFileSync("event.schema.json", JSON.stringify(eventJsonSchema(), null, 2));
 */
export function eventJsonSchema(): Record<string, unknown> {
  // TypeBox schemas are JSON Schema plus symbol-keyed metadata, which JSON drops.
  const plain = JSON.parse(JSON.stringify(RuntrailEventSchema)) as Record<string, unknown>;
  return { $schema: "https://json-schema.org/draft/2020-12/schema", ...plain };
}
