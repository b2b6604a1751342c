/**
 * @module runtrail/asyncapi
 * The AsyncAPI 3 document of the trail's channels (SSE, WebSocket, NATS subjects), generated from
 * the event JSON Schema: `asyncApiDocument()`. Plain data, no dependency; the same document is
 * committed as `schema/runtrail.asyncapi.json` (`npm run schema`).
 */
export { asyncApiDocument, NATS_SUBJECT, type AsyncApiOptions } from "./asyncapi-document.js";
export { componentKey } from "./asyncapi-schemas.js";
