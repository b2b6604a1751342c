import { CloudEvent, HTTP } from "cloudevents";
import { BUILTIN_EVENT_TYPES, createBus, workflow, type RuntrailEvent } from "runtrail";
import {
  CloudEventMappingError,
  fromCloudEvent,
  fromHttpMessage,
  sequenceOf,
  toCloudEvent,
  toHttpBatch,
  toHttpMessage,
} from "runtrail/cloudevents";
import { describe, expect, it } from "vitest";
import { sampleEvents } from "./event-samples.js";

describe("CloudEvents mapping", () => {
  const events = sampleEvents();

  it("maps every event type to a valid CloudEvents 1.0 event and back to the identical event", () => {
    const seen = new Set<string>();
    for (const event of events) {
      const cloudEvent = toCloudEvent(event, { deployment: "eu-1" });
      expect(cloudEvent.validate(), event.type).toBe(true);
      // Through JSON, as on the wire, and re-checked by the SDK's own strict constructor.
      const wire = new CloudEvent(JSON.parse(JSON.stringify(cloudEvent)) as Record<string, unknown>, true);
      const back = fromCloudEvent(wire);
      expect(JSON.stringify(back)).toBe(JSON.stringify(event));
      seen.add(event.type);
    }
    for (const type of BUILTIN_EVENT_TYPES) expect(seen, type).toContain(type);
    expect(seen).toContain("x.audit");
  });

  it("sets id, source, type, subject, time, datacontenttype and a zero-padded sequence", () => {
    const step = events.find((event) => event.type === "step.completed")!;
    const cloudEvent = toCloudEvent(step, { deployment: "eu-1" });
    expect(cloudEvent).toMatchObject({
      specversion: "1.0",
      id: step.id,
      source: "urn:runtrail:eu-1:acme",
      type: "dev.runtrail.step.completed",
      subject: "r",
      time: new Date(step.ts).toISOString(),
      datacontenttype: "application/json",
      sequence: "0000000000000006",
      runtrailaccount: "acme",
      runtrailworkflow: "etl",
      runtrailstep: "a",
    });
    expect(cloudEvent["sequencetype"]).toBeUndefined();
    expect(toCloudEvent(events[0]!)).toMatchObject({ source: "urn:runtrail:default:acme", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    expect(toCloudEvent(events.find((e) => e.runId === "child")!)).toMatchObject({ runtrailparentrun: "r", source: "urn:runtrail:default:default" });
  });

  it("keeps seq order as string order, past 2^31", () => {
    const seqs = [1, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER];
    const strings = seqs.map(sequenceOf);
    expect([...strings].sort()).toEqual(strings);
    expect(new Set(strings.map((s) => s.length))).toEqual(new Set([16]));
  });

  it("round-trips through HTTP in structured, binary and batch mode", () => {
    for (const event of events) {
      for (const mode of ["structured", "binary"] as const) {
        const message = toHttpMessage(event, mode);
        if (mode === "binary") expect(message.headers["ce-type"]).toBe(`dev.runtrail.${event.type}`);
        else expect(message.headers["content-type"]).toMatch(/^application\/cloudevents\+json/);
        expect(HTTP.isEvent(message)).toBe(true);
        expect(fromHttpMessage(message).map((e) => JSON.stringify(e))).toEqual([JSON.stringify(event)]);
      }
    }
    const batch = toHttpBatch(events);
    expect(batch.headers["content-type"]).toMatch(/^application\/cloudevents-batch\+json/);
    expect(JSON.stringify(fromHttpMessage(batch))).toBe(JSON.stringify(events));
    // The batch's plain objects are exactly the SDK's CloudEvents, as JSON.
    expect(JSON.parse(batch.body)).toEqual(events.map((event) => JSON.parse(JSON.stringify(toCloudEvent(event)))));
  });

  it("sends a batch whose event holds a value JSON cannot (a BigInt) with a marker in its place, the rest unchanged", () => {
    const bad = { ...events[1]!, output: { total: 10n } } as unknown as RuntrailEvent;
    const batch = toHttpBatch([events[0]!, bad]);
    const sent = JSON.parse(batch.body) as { data: { output?: unknown } }[];
    expect(sent).toHaveLength(2);
    expect(sent[0]).toEqual(JSON.parse(JSON.stringify(toCloudEvent(events[0]!))));
    expect(sent[1]!.data.output).toEqual({ total: { $unserializable: "BigInt", path: "data.output.total", detail: "10" } });
  });

  it("refuses a CloudEvent that is not a Runtrail event, or whose attributes contradict its data", () => {
    const event = events[1]!;
    const foreign = new CloudEvent({ type: "com.example.thing", source: "/x", data: event });
    expect(() => fromCloudEvent(foreign)).toThrow(CloudEventMappingError);
    expect(() => fromCloudEvent(foreign)).toThrow(/does not start with "dev.runtrail."/);
    const good = toCloudEvent(event);
    expect(() => fromCloudEvent(good.cloneWith({ subject: "other-run" }))).toThrow(/subject is "other-run" but the event says "r"/);
    expect(() => fromCloudEvent(good.cloneWith({ data: { ...event, seq: "two" } }))).toThrow(/CloudEvent "r:2" is not a Runtrail event: .*seq/);
    expect(() => fromHttpMessage({ headers: { "content-type": "text/plain" }, body: "hi" })).toThrow(CloudEventMappingError);
  });

  it("carries a traced run's trace context as the traceparent extension, in every mode, and back", async () => {
    const bus = createBus();
    const trail: RuntrailEvent[] = [];
    bus.onEvent((event) => trail.push(event));
    const child = workflow("leaf").step("x", () => 1).build();
    await workflow("traced").subworkflow("sub", child).build().run(undefined, { bus, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" });
    expect(new Set(trail.map((e) => e.runId)).size).toBe(2);
    for (const event of trail) {
      expect(toCloudEvent(event).traceparent).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
      expect(toHttpMessage(event, "binary").headers["ce-traceparent"]).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
      for (const mode of ["structured", "binary"] as const) expect(JSON.stringify(fromHttpMessage(toHttpMessage(event, mode)))).toBe(JSON.stringify([event]));
    }
    // The child run's events keep which step of the parent started it.
    expect(fromCloudEvent(toCloudEvent(trail.find((e) => e.workflow.name === "leaf")!))).toMatchObject({ parentStepId: "sub", parentAttempt: 1 });
    // An intermediary may rewrite traceparent (the Distributed Tracing extension allows it): the event is still taken.
    const hop = toCloudEvent(trail[0]!).cloneWith({ traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-aaaaaaaaaaaaaaaa-01" });
    expect(JSON.stringify(fromCloudEvent(hop))).toBe(JSON.stringify(trail[0]));
  });
});
