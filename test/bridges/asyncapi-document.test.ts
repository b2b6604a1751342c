import { Parser } from "@asyncapi/parser";
import { readFileSync } from "node:fs";
import { BUILTIN_EVENT_TYPES } from "runtrail";
import { asyncApiDocument, componentKey, NATS_SUBJECT } from "runtrail/asyncapi";
import { beforeAll, describe, expect, it } from "vitest";

const ERROR = 0; // spectral's DiagnosticSeverity.Error

type Parsed = Awaited<ReturnType<Parser["parse"]>>;

describe("AsyncAPI document", () => {
  let parsed: Parsed;
  // One parse (validation included) takes seconds: shared by the tests below.
  beforeAll(async () => {
    parsed = await new Parser().parse(JSON.stringify(asyncApiDocument({ serverHost: "trail.example.com", secure: true })));
  }, 60_000);

  it("parses and validates with @asyncapi/parser, without errors", () => {
    const { document, diagnostics } = parsed;
    const errors = diagnostics.filter((d) => d.severity === ERROR);
    expect(errors.map((e) => `${e.path.join(".")}: ${e.message}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe("3.1.0");
    expect(diagnostics.map((d) => `${d.path.join(".")}: ${d.message}`)).toEqual([]);
  });

  it("describes the SSE, WebSocket and NATS channels the trail travels on", () => {
    const { document } = parsed;
    const addresses = document!.channels().all().map((channel) => channel.address());
    expect(addresses).toEqual(["/api/runs/{runId}/stream", "/api/stream", "/api/ws", NATS_SUBJECT]);
    expect(NATS_SUBJECT).toBe("runtrail.ev.{accountId}.{workflow}.{runId}.{type}");
    expect(document!.servers().all().map((server) => [server.id(), server.protocol(), server.host()])).toEqual([
      ["http", "https", "trail.example.com"],
      ["ws", "wss", "trail.example.com"],
      ["nats", "nats", "localhost:4222"],
    ]);
    const ws = document!.channels().get("websocket")!;
    expect(ws.messages().all().map((m) => m.name())).toEqual(["subscribe", "unsubscribe", "ping", "subscribed", "history", "live", "end", "unsubscribed", "pong", "error"]);
    const actions = document!.operations().all().map((op) => [op.id(), op.action(), op.channels().all()[0]!.address()]);
    expect(actions).toContainEqual(["sendWebSocket", "send", "/api/ws"]);
    expect(actions).toContainEqual(["receiveNats", "receive", NATS_SUBJECT]);
  });

  it("has a message for every event type on every event channel, with the type's schema", () => {
    const { document } = parsed;
    const types = [...BUILTIN_EVENT_TYPES, "x.*"];
    for (const id of ["runStream", "accountStream", "natsEvents"]) {
      const names = document!.channels().get(id)!.messages().all().map((m) => m.name());
      for (const type of types) expect(names, `${id} lacks ${type}`).toContain(type);
    }
    const stepFailed = document!.components().messages().get(componentKey("step.failed"))!;
    const payload = stepFailed.payload()!;
    expect(payload.required()).toEqual(expect.arrayContaining(["error", "durationMs", "runId", "seq"]));
    expect(payload.properties()!.type!.const()).toBe("step.failed");
    expect(document!.components().schemas().get("RuntrailEvent")!.anyOf()!.length).toBe(types.length);
  });

  it("matches the committed schema/runtrail.asyncapi.json (run `npm run schema` after changing an event)", () => {
    const committed: unknown = JSON.parse(readFileSync(new URL("../../schema/runtrail.asyncapi.json", import.meta.url), "utf8"));
    expect(committed).toEqual(asyncApiDocument());
  });
});
