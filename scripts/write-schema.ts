/**
 * `npm run schema`: writes the events' JSON Schema to schema/runtrail-event.schema.json and the
 * AsyncAPI document of every channel, generated from it, to schema/runtrail.asyncapi.json.
 */
import { writeFileSync } from "node:fs";
import { asyncApiDocument } from "../src/asyncapi/index.js";
import { eventJsonSchema } from "../src/events/json-schema.js";

const files: [URL, unknown][] = [
  [new URL("../schema/runtrail-event.schema.json", import.meta.url), eventJsonSchema()],
  [new URL("../schema/runtrail.asyncapi.json", import.meta.url), asyncApiDocument()],
];
for (const [file, document] of files) {
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${file.pathname}`);
}
