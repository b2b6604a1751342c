/**
 * CloudEvents over HTTP: structured mode (the whole CloudEvent as the JSON body), binary mode
 * (attributes as `ce-*` headers, the event as the body), and batches
 * (`application/cloudevents-batch+json`), written and read by the `cloudevents` SDK.
 */
import { HTTP, type CloudEventV1 } from "cloudevents";
import { toJsonSafe, type RuntrailEvent } from "../../events/index.js";
import { cloudEventAttributes, CloudEventMappingError, fromCloudEvent, toCloudEvent, type CloudEventOptions } from "./cloudevent-mapping.js";

/** An HTTP request or response as far as CloudEvents go. */
export interface HttpMessage {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** How a CloudEvent travels in HTTP: whole in the body, or attributes in headers. */
export type HttpMode = "structured" | "binary";

/** The content type of a batch of CloudEvents in structured mode. */
export const BATCH_CONTENT_TYPE = "application/cloudevents-batch+json";

/**
 * An event as an HTTP message in the given mode.
 *
 * @example
 * const { headers, body } = toHttpMessage(event, "binary"); // headers["ce-type"] === "dev.runtrail.run.started"
 * await fetch(url, { method: "POST", headers, body });
 */
export function toHttpMessage(event: RuntrailEvent, mode: HttpMode = "structured", options?: CloudEventOptions): HttpMessage {
  const cloudEvent = toCloudEvent(event, options);
  const message = mode === "binary" ? HTTP.binary(cloudEvent) : HTTP.structured(cloudEvent);
  return { headers: message.headers as Record<string, string>, body: String(message.body) };
}

/**
 * Events as one structured-mode batch: a JSON array of CloudEvents. A value JSON cannot hold is
 * sent as a marker (`{"$unserializable":"BigInt","path":…}`), never a batch that cannot be sent.
 *
 * @example
 * const { headers, body } = toHttpBatch(events); // headers["content-type"] starts with "application/cloudevents-batch+json"
 */
export function toHttpBatch(events: readonly RuntrailEvent[], options?: CloudEventOptions): HttpMessage {
  const attributes = events.map((event) => cloudEventAttributes(event, options));
  let body: string;
  try {
    body = JSON.stringify(attributes);
  } catch {
    // One value JSON cannot hold (a BigInt, a circle, a throwing toJSON) must not cost the whole
    // batch its delivery: each event goes with a marker in its place, as the store keeps it.
    body = JSON.stringify(attributes.map((event) => toJsonSafe(event).value));
  }
  return { headers: { "content-type": `${BATCH_CONTENT_TYPE}; charset=utf-8` }, body };
}

/**
 * The Runtrail events of an HTTP message in any mode (structured, binary or batch), each checked.
 * Throws `CloudEventMappingError` for a message that holds no CloudEvent or a foreign one.
 *
 * @example
 * const events = fromHttpMessage({ headers: request.headers, body: await readBody(request) });
 */
export function fromHttpMessage(message: HttpMessage): RuntrailEvent[] {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  let received: unknown;
  try {
    received = HTTP.toEvent({ headers, body: message.body });
  } catch (error) {
    throw new CloudEventMappingError(undefined, `the HTTP message holds no CloudEvent (${error instanceof Error ? error.message : String(error)})`);
  }
  const cloudEvents = (Array.isArray(received) ? received : [received]) as CloudEventV1<unknown>[];
  return cloudEvents.map((cloudEvent) => fromCloudEvent(cloudEvent));
}
