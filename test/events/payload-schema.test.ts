import { describe, expect, it } from "vitest";
import { checkPayload, PayloadSchemaError, payloadSchemaJson } from "../../src/events/payload-schema.js";

describe("a signal payload checked against the wait's JSON Schema (as stored in the trail)", () => {
  const approval = { type: "object", properties: { approved: { type: "boolean" }, note: { type: "string", maxLength: 5 } }, required: ["approved"] };

  it("names each failing field by JSON pointer, and passes a payload that matches", () => {
    expect(checkPayload(approval, { approved: true })).toEqual([]);
    expect(checkPayload(approval, {}).map((issue) => issue.path)).toContain("/approved");
    expect(checkPayload(approval, { approved: "yes" }).map((issue) => issue.path)).toContain("/approved");
    expect(checkPayload(approval, { approved: true, note: "too long" }).map((issue) => issue.path)).toContain("/note");
  });

  it("a name `required` lists without a schema in `properties` must be there, with any value", () => {
    const bare = { type: "object", required: ["approved"] };
    expect(checkPayload(bare, { nope: 1 })).toEqual([expect.objectContaining({ path: "/approved" })]);
    expect(checkPayload(bare, { approved: null })).toEqual([]);
  });

  it("additionalProperties: false refuses another field; arrays, enums and unions are checked", () => {
    expect(checkPayload({ type: "object", properties: { a: { type: "integer" } }, additionalProperties: false }, { a: 1, b: 2 })).not.toEqual([]);
    expect(checkPayload({ type: "array", items: { enum: ["x", "y"] } }, ["x", "z"]).map((issue) => issue.path)).toContain("/1");
    expect(checkPayload({ anyOf: [{ type: "string" }, { type: "null" }] }, 3)).not.toEqual([]);
  });

  it("refuses at waitFor a schema it cannot check, naming where", () => {
    expect(() => payloadSchemaJson({ type: "object", properties: { a: { $ref: "#/x" } } })).toThrow(PayloadSchemaError);
    expect(() => payloadSchemaJson({ type: "object", properties: { a: { $ref: "#/x" } } })).toThrow("unsupported payload schema at /properties/a: \"$ref\" is not supported");
  });
});
