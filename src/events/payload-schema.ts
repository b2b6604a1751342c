/**
 * Checking a signal's payload against the JSON Schema its `waitFor` gave. The schema travels in
 * the trail as plain JSON (a `run.suspended` event), so the process that receives the signal may
 * not be the one that wrote it: it is turned back into a TypeBox schema here and checked with
 * TypeBox's compiler, the same validation the event schemas use.
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { ValidationIssue } from "./validate.js";

/** A schema this checker cannot rebuild (a `$ref`, an unknown `type`), named by its JSON pointer. */
export class PayloadSchemaError extends Error {
  override readonly name = "PayloadSchemaError";
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`unsupported payload schema at ${path || "/"}: ${detail}`);
  }
}

type JsonObject = Record<string, unknown>;

/** The keywords TypeBox checks on each kind, passed through as options. */
const OPTIONS = [
  "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
  "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
  "minProperties", "maxProperties", "description", "title",
] as const;

function optionsOf(schema: JsonObject): JsonObject {
  const options: JsonObject = {};
  for (const key of OPTIONS) if (key in schema) options[key] = schema[key];
  return options;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Rebuilds a TypeBox schema from plain JSON Schema (the subset a payload needs). */
function rebuild(schema: unknown, path: string): TSchema {
  if (schema === true || (isObject(schema) && Object.keys(schema).length === 0)) return Type.Unknown();
  if (!isObject(schema)) throw new PayloadSchemaError(path, "a schema must be an object");
  for (const refused of ["$ref", "if", "patternProperties"]) {
    if (refused in schema) throw new PayloadSchemaError(path, `"${refused}" is not supported`);
  }
  if ("const" in schema) return Type.Literal(schema.const as string | number | boolean);
  if (Array.isArray(schema.enum)) return Type.Union(schema.enum.map((value) => Type.Literal(value as string | number | boolean)));
  for (const key of ["anyOf", "oneOf"] as const) {
    const list = schema[key];
    if (Array.isArray(list)) return Type.Union(list.map((item, i) => rebuild(item, `${path}/${key}/${i}`)));
  }
  if (Array.isArray(schema.allOf)) return Type.Intersect(schema.allOf.map((item, i) => rebuild(item, `${path}/allOf/${i}`)));
  const type = schema.type;
  if (Array.isArray(type)) return Type.Union(type.map((t) => rebuild({ ...schema, type: t }, path)));
  const options = optionsOf(schema);
  switch (type) {
    case "string":
      return Type.String(options);
    case "number":
      return Type.Number(options);
    case "integer":
      return Type.Integer(options);
    case "boolean":
      return Type.Boolean(options);
    case "null":
      return Type.Null(options);
    case "array":
      return Type.Array(schema.items === undefined ? Type.Unknown() : rebuild(schema.items, `${path}/items`), options);
    case "object":
    case undefined: {
      if (type === undefined && !("properties" in schema)) throw new PayloadSchemaError(path, "needs a \"type\"");
      const properties = isObject(schema.properties) ? schema.properties : {};
      const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
      const fields: Record<string, TSchema> = {};
      for (const [name, field] of Object.entries(properties)) {
        const built = rebuild(field, `${path}/properties/${name}`);
        fields[name] = required.has(name) ? built : Type.Optional(built);
      }
      // A name `required` lists without a schema in `properties` must still be there (any value).
      for (const name of required) fields[name] ??= Type.Unknown();
      const extra = schema.additionalProperties;
      const additionalProperties = extra === undefined || extra === true ? true : extra === false ? false : rebuild(extra, `${path}/additionalProperties`);
      return Type.Object(fields, { ...options, additionalProperties });
    }
    default:
      throw new PayloadSchemaError(path, `unknown type ${JSON.stringify(type)}`);
  }
}

const compiled = new Map<string, TypeCheck<TSchema>>();

/**
 * The schema as plain JSON, as `run.suspended` stores it; throws {@link PayloadSchemaError} when
 * it uses what the checker cannot rebuild, so `waitFor` refuses it at once, not when a signal comes.
 *
 * @example
 * payloadSchemaJson(Type.Object({ approved: Type.Boolean() })) // { type: "object", properties: …, required: ["approved"] }
 */
export function payloadSchemaJson(schema: TSchema | JsonObject): JsonObject {
  const json = JSON.parse(JSON.stringify(schema)) as JsonObject;
  checkerOf(json);
  return json;
}

function checkerOf(schema: unknown): TypeCheck<TSchema> {
  const key = JSON.stringify(schema);
  let check = compiled.get(key);
  if (check === undefined) {
    check = TypeCompiler.Compile(rebuild(schema, ""));
    compiled.set(key, check);
  }
  return check;
}

/**
 * Every way `payload` fails `schema` (plain JSON Schema, as stored in the trail); empty when it
 * matches. Each issue names its field by JSON pointer.
 *
 * @example
 * checkPayload({ type: "object", properties: { approved: { type: "boolean" } }, required: ["approved"] }, {})
 * // [{ path: "/approved", message: "Expected required property" }, …]
 */
export function checkPayload(schema: unknown, payload: unknown): ValidationIssue[] {
  const check = checkerOf(schema);
  if (check.Check(payload)) return [];
  return [...check.Errors(payload)].map((error) => ({ path: error.path, message: error.message }));
}
