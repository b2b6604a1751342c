/** `npm run schema`: writes the events' JSON Schema to schema/runtrail-event.schema.json. */
import { writeFileSync } from "node:fs";
import { eventJsonSchema } from "../src/events/json-schema.js";

const file = new URL("../schema/runtrail-event.schema.json", import.meta.url);
writeFileSync(file, `${JSON.stringify(eventJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
