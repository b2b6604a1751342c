/**
 * The writer's side of the JSON-safe boundary: each event read from the bus is prepared
 * (`prepareEvent`: JSON-safe, redacted, size-limited) and every value that had to become a marker
 * is reported through `onError` with the event's run and seq. Nothing here can stop the reader:
 * one bad value used to end the writer for every run, with `flush()` never resolving.
 */
import type { JsonFault, RuntrailEvent } from "../../events/index.js";
import { EnvelopeProperties } from "../../events/index.js";
import { conformToSchema } from "../store-conform.js";
import { prepareEvent, type PayloadOptions } from "../store-payload.js";
import type { PreparedEvent } from "../store-types.js";
import type { WriterNotifier } from "./writer-notifier.js";
import { EventPayloadError } from "./writer-types.js";

const envelopeKeys = new Set<string>(["type", ...Object.keys(EnvelopeProperties)]);

/**
 * Prepares `event` for the store and reports its faults. When preparing itself throws (a custom
 * redactor that fails on this payload), the event is still stored at its seq, so the run keeps no
 * gap, but with every payload field replaced by a marker: storing it unredacted could leak what
 * the redactor was there to hide.
 */
export function prepareAndReport(event: RuntrailEvent, options: PayloadOptions, notifier: WriterNotifier): PreparedEvent {
  let prepared: PreparedEvent;
  let faults: readonly JsonFault[] | undefined;
  try {
    prepared = prepareEvent(event, options);
    faults = prepared.faults;
  } catch (error) {
    const stub = withoutPayload(event, error);
    // The markers now stand in typed fields too (`durationMs`): conform, so the run stays readable.
    const conformed = conformToSchema(stub.event, stub.faults);
    prepared = prepareEvent(conformed.event, { ...options, redact: false });
    faults = [...conformed.faults, ...(prepared.faults ?? [])];
    prepared = { ...prepared, faults };
  }
  if (faults !== undefined) report(notifier, event, faults);
  return prepared;
}

function report(notifier: WriterNotifier, event: RuntrailEvent, faults: readonly JsonFault[]): void {
  notifier.report({
    stage: "payload",
    error: new EventPayloadError(event.runId, event.seq, event.type, faults),
    attempt: 1,
    batchSize: 1,
    retryInMs: 0,
    runId: event.runId,
    seq: event.seq,
    faults,
  });
}

/** The event's envelope, each other field an `Unreadable` marker naming why it could not be prepared. */
function withoutPayload(event: RuntrailEvent, error: unknown): { event: RuntrailEvent; faults: JsonFault[] } {
  const detail = `the event could not be prepared for the store: ${describe(error)}`.slice(0, 300);
  const source = event as unknown as Record<string, unknown>;
  const stub: Record<string, unknown> = {};
  const faults: JsonFault[] = [];
  for (const key of Object.keys(source)) {
    if (envelopeKeys.has(key)) stub[key] = source[key];
    else if (source[key] !== undefined) {
      stub[key] = { $unserializable: "Unreadable", path: key, detail };
      faults.push({ kind: "Unreadable", path: key, detail });
    }
  }
  return { event: stub as unknown as RuntrailEvent, faults };
}

function describe(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return "an error that cannot be described";
  }
}
