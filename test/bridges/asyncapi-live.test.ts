/**
 * Holds a live server to the AsyncAPI document: every message it sends over SSE and WebSocket
 * validates against the document's schema of that message, and the client messages the document
 * describes are the ones the server accepts.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { asyncApiDocument } from "runtrail/asyncapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitCommitted, readSse, runEvents, startHarness, WsClient, type Harness } from "../server/server-fixtures.js";

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(asyncApiDocument(), "asyncapi");
const payload = (message: string): ValidateFunction => ajv.getSchema(`asyncapi#/components/messages/${message}/payload`)!;
const check = (message: string, value: unknown): void => {
  const validate = payload(message);
  if (!validate(value)) throw new Error(`${message} does not match the document: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 300)}`);
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe("AsyncAPI document against the live server", () => {
  it("is served at /api/asyncapi.json and linked from the API index", async () => {
    const served = await fetch(`${h.url}/api/asyncapi.json`);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(JSON.parse(JSON.stringify(asyncApiDocument())));
    const index = (await (await fetch(`${h.url}/api`)).json()) as { links: Record<string, string> };
    expect(index.links.asyncapi).toBe("/api/asyncapi.json");
  });

  it("describes every SSE frame of a run stream: events, then end", async () => {
    await emitCommitted(h, runEvents("doc-sse", "acme", 2));
    const messages = await readSse(`${h.url}/api/runs/doc-sse/stream`, { token: h.tokens.acme });
    expect(messages.map((m) => m.kind)).toEqual(["message", "message", "message", "message", "message", "message", "end"]);
    for (const message of messages) {
      if (message.kind === "end") check("sse.end", message.data);
      else check(String(message.data.type), message.data);
    }
  });

  it("describes every WebSocket message both ways", async () => {
    await emitCommitted(h, runEvents("doc-ws", "acme", 2));
    const client = await WsClient.connect(h.url, h.tokens.acme);
    const sent = [
      ["ws.subscribe", { op: "subscribe", sub: "a", runId: "doc-ws", after: 0 }],
      ["ws.subscribe", { op: "subscribe", sub: "f", filter: { types: ["step.*"], workflow: ["wf"] }, after: 0 }],
      ["ws.ping", { op: "ping", id: 7 }],
      ["ws.unsubscribe", { op: "unsubscribe", sub: "f" }],
      ["ws.unsubscribe", { op: "unsubscribe", sub: "never-opened" }],
    ] as const;
    for (const [name, message] of sent) {
      check(name, message);
      client.send(message);
    }
    const received = await client.until((all) => ["end", "pong", "unsubscribed", "error"].every((type) => all.some((m) => m.type === type)));
    client.close();
    for (const message of received) check(`ws.${message.type}`, message);
    expect(new Set(received.map((m) => m.type))).toEqual(new Set(["subscribed", "history", "end", "pong", "unsubscribed", "error"]));
  });

  it("refuses, like the server, client messages outside the document", async () => {
    const client = await WsClient.connect(h.url, h.tokens.acme);
    for (const bad of [{ op: "subscribe", runId: "doc-ws", after: -1 }, { op: "ping", extra: true }]) {
      expect(payload(`ws.${bad.op}`)(bad), JSON.stringify(bad)).toBe(false);
      client.send(bad);
    }
    const errors = await client.until((all) => all.filter((m) => m.type === "error").length === 2);
    client.close();
    for (const error of errors) check("ws.error", error);
    expect(errors.map((m) => m.code)).toEqual(["bad_request", "bad_request"]);
  });
});
