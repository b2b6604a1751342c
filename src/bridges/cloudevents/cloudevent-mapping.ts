/**
 * A Runtrail event as a CloudEvents 1.0 event and back, without loss: the CloudEvent's `data`
 * is the event itself, and its attributes repeat what a router needs (`id`, `type`, `subject` =
 * the run, `time`, `sequence`, and the account, workflow and step as extensions).
 */
import { CloudEvent, type CloudEventV1 } from "cloudevents";
import { formatTraceparent, parseEvent, type RuntrailEvent } from "../../events/index.js";

/** The prefix of every CloudEvents `type` Runtrail produces: `dev.runtrail.step.completed`. */
export const CLOUDEVENT_TYPE_PREFIX = "dev.runtrail.";

/** Digits of the `sequence` extension: enough for any seq (2^53 has 16), so string order is seq order. */
const SEQUENCE_DIGITS = 16;

/** Options of {@link toCloudEvent}. */
export interface CloudEventOptions {
  /** Names the deployment in `source` (`urn:runtrail:<deployment>:<account>`). Default `"default"`. */
  readonly deployment?: string;
}

/** A CloudEvent whose data is a Runtrail event. */
export type RuntrailCloudEvent = CloudEvent<RuntrailEvent>;

/** Thrown by {@link fromCloudEvent} for a CloudEvent that is not a Runtrail event. */
export class CloudEventMappingError extends Error {
  override readonly name = "CloudEventMappingError";
  constructor(
    readonly cloudEventId: string | undefined,
    detail: string,
  ) {
    super(`CloudEvent ${JSON.stringify(cloudEventId ?? null)} is not a Runtrail event: ${detail}`);
  }
}

/**
 * The zero-padded `sequence` of a seq, so that string order is seq order.
 *
 * @example
 * sequenceOf(42) // "0000000000000042"
 */
export function sequenceOf(seq: number): string {
  return String(seq).padStart(SEQUENCE_DIGITS, "0");
}

/**
 * `source` of an event: a URN naming the deployment and the account.
 *
 * @example
 * sourceOf("acme", "eu-1") // "urn:runtrail:eu-1:acme"
 */
export function sourceOf(accountId: string, deployment = "default"): string {
  return `urn:runtrail:${encodeURIComponent(deployment)}:${encodeURIComponent(accountId)}`;
}

/**
 * The CloudEvent of a Runtrail event.
 *
 * @example
 * const ce = toCloudEvent(event, { deployment: "eu-1" });
 * ce.type     // "dev.runtrail.step.completed"
 * ce.sequence // "0000000000000007"
 */
export function toCloudEvent(event: RuntrailEvent, options: CloudEventOptions = {}): RuntrailCloudEvent {
  return new CloudEvent<RuntrailEvent>(cloudEventAttributes(event, options), false);
}

/**
 * The CloudEvent of an event as plain JSON (structured mode), without the SDK's object: what
 * batches are made of, at a third of the cost.
 *
 * @example
 * JSON.stringify(events.map((event) => cloudEventAttributes(event)))
 */
export function cloudEventAttributes(event: RuntrailEvent, options: CloudEventOptions = {}): CloudEventV1<RuntrailEvent> {
  const attributes: CloudEventV1<RuntrailEvent> & Record<string, unknown> = {
    specversion: "1.0",
    id: event.id,
    source: sourceOf(event.accountId, options.deployment),
    type: CLOUDEVENT_TYPE_PREFIX + event.type,
    subject: event.runId,
    time: new Date(event.ts).toISOString(),
    datacontenttype: "application/json",
    sequence: sequenceOf(event.seq),
    runtrailaccount: event.accountId,
    runtrailworkflow: event.workflow.name,
    data: event,
  };
  if (event.stepId !== undefined) attributes.runtrailstep = event.stepId;
  if (event.parentRunId !== undefined) attributes.runtrailparentrun = event.parentRunId;
  // The Distributed Tracing extension, when the event carries a whole trace context.
  if (event.traceId !== undefined && event.spanId !== undefined) attributes.traceparent = formatTraceparent({ traceId: event.traceId, spanId: event.spanId });
  return attributes;
}

/**
 * The Runtrail event a CloudEvent carries: the identical event (same JSON) that
 * {@link toCloudEvent} was given. Checks the event against the schema and its attributes
 * against the event; throws {@link CloudEventMappingError} naming what is wrong.
 *
 * @example
 * const back = fromCloudEvent(toCloudEvent(event));
 * JSON.stringify(back) === JSON.stringify(event) // true
 */
export function fromCloudEvent(cloudEvent: CloudEventV1<unknown>): RuntrailEvent {
  const id = typeof cloudEvent.id === "string" ? cloudEvent.id : undefined;
  if (typeof cloudEvent.type !== "string" || !cloudEvent.type.startsWith(CLOUDEVENT_TYPE_PREFIX)) {
    throw new CloudEventMappingError(id, `type ${JSON.stringify(cloudEvent.type)} does not start with "${CLOUDEVENT_TYPE_PREFIX}"`);
  }
  let data: unknown = cloudEvent.data;
  if (data === undefined && typeof cloudEvent.data_base64 === "string") {
    const bytes = Uint8Array.from(atob(cloudEvent.data_base64), (char) => char.charCodeAt(0));
    data = JSON.parse(new TextDecoder().decode(bytes));
  }
  if (typeof data === "string") data = JSON.parse(data);
  let event: RuntrailEvent;
  try {
    event = parseEvent(data, `CloudEvent ${id ?? "?"} data`);
  } catch (error) {
    throw new CloudEventMappingError(id, error instanceof Error ? error.message : String(error));
  }
  const expect = (attribute: string, actual: unknown, wanted: unknown): void => {
    if (actual !== wanted) throw new CloudEventMappingError(id, `${attribute} is ${JSON.stringify(actual)} but the event says ${JSON.stringify(wanted)}`);
  };
  expect("id", cloudEvent.id, event.id);
  expect("type", cloudEvent.type, CLOUDEVENT_TYPE_PREFIX + event.type);
  expect("subject", cloudEvent.subject, event.runId);
  if (cloudEvent.sequence !== undefined) expect("sequence", cloudEvent.sequence, sequenceOf(event.seq));
  return event;
}
