/**
 * @module runtrail/cloudevents
 * The trail as CloudEvents 1.0: `toCloudEvent` / `fromCloudEvent` (lossless both ways), HTTP in
 * structured, binary and batch mode, and `createCloudEventsSink`, a lossless HTTP sink on the bus.
 * Needs the optional peer dependency `cloudevents` (^10).
 */
export {
  CLOUDEVENT_TYPE_PREFIX,
  CloudEventMappingError,
  cloudEventAttributes,
  fromCloudEvent,
  sequenceOf,
  sourceOf,
  toCloudEvent,
  type CloudEventOptions,
  type RuntrailCloudEvent,
} from "./cloudevent-mapping.js";
export { BATCH_CONTENT_TYPE, fromHttpMessage, toHttpBatch, toHttpMessage, type HttpMessage, type HttpMode } from "./cloudevent-http.js";
export { createCloudEventsSink, type CloudEventsSink, type CloudEventsSinkOptions, type CloudEventsSinkStats } from "./cloudevent-sink.js";
export { DeliveryError } from "./cloudevent-post.js";
export type { DeliveryFailure } from "./cloudevent-lane.js";
