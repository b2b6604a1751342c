/**
 * The API's request schemas, in TypeBox: Fastify validates every request with them (a bad request
 * is a 400 naming the field at fault) and `@fastify/swagger` builds `/api/openapi.json` from the
 * same objects, so the document and the validation cannot drift apart. The response schemas are
 * in `api-responses.ts`.
 */
import { Type, type Static, type TUnsafe } from "@sinclair/typebox";
import { RUN_STATUSES } from "../../projections/index.js";

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 200, pattern: "^[^\\r\\n]+$", description });
const Cursor = (description: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
const EpochMs = (description: string) => Type.Number({ minimum: 0, description });
const Names = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50, description });

/**
 * A string that is one of `values`, as a single JSON Schema `enum`: plainer in the OpenAPI
 * document than a union of literals, and serialised as a string (a union makes the response
 * serialiser test each branch).
 *
 * @example
 * const Colour = StringEnum(["red", "green"]);
 */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> =>
  Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...options });

export const RunStatusSchema = StringEnum(RUN_STATUSES);

/** The query of routes that take none: any parameter is a 400 (e.g. an API token put in a URL). */
export const NoQuery = Type.Object({}, { additionalProperties: false });

export const RunParams = Type.Object({ runId: Id("The run's id.") }, { additionalProperties: false });
export type RunParams = Static<typeof RunParams>;

export const WorkflowParams = Type.Object({ name: Id("A workflow registered with the server.") }, { additionalProperties: false });
export type WorkflowParams = Static<typeof WorkflowParams>;

export const ListRunsQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(RunStatusSchema, { maxItems: 5, description: "Any of these statuses (repeat the parameter)." })),
    workflow: Type.Optional(Id("The workflow's name.")),
    from: Type.Optional(EpochMs("Runs started at or after this time (epoch ms).")),
    to: Type.Optional(EpochMs("Runs started before this time (epoch ms).")),
    withIssues: Type.Optional(Type.Boolean({ description: "Only runs whose steps reported issues." })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000, default: 50 })),
    pageToken: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: "The previous page's `next`." })),
  },
  { additionalProperties: false },
);
export type ListRunsQuery = Static<typeof ListRunsQuery>;

export const RunEventsQuery = Type.Object(
  {
    after: Type.Optional(Cursor("Events with seq strictly greater than this. Default 0.")),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000, default: 100 })),
    types: Type.Optional(Names("Event types or globs such as `step.*` (repeat the parameter); one that selects no type is a 400.")),
  },
  { additionalProperties: false },
);
export type RunEventsQuery = Static<typeof RunEventsQuery>;

export const AnalyticsQuery = Type.Object(
  {
    workflow: Type.Optional(Id("The workflow's name.")),
    from: Type.Optional(EpochMs("Runs started at or after this time (epoch ms).")),
    to: Type.Optional(EpochMs("Runs started before this time (epoch ms).")),
  },
  { additionalProperties: false },
);
export type AnalyticsQuery = Static<typeof AnalyticsQuery>;

/** The bucket widths of `GET /api/analytics/steps/series`, and each one's length in ms. */
export const SERIES_BUCKETS = { "1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "6h": 21_600_000, "1d": 86_400_000 } as const;
export type SeriesBucket = keyof typeof SERIES_BUCKETS;
const SERIES_BUCKET_NAMES = ["1m", "5m", "15m", "1h", "6h", "1d"] as const satisfies readonly SeriesBucket[];
/** The most buckets one series request may span: what a chart can show, and a bound on the answer. */
export const MAX_SERIES_BUCKETS = 1_000;

export const StepSeriesQuery = Type.Object(
  {
    workflow: Id("The workflow's name."),
    bucket: Type.Optional(StringEnum(SERIES_BUCKET_NAMES, { description: "The width of a bucket; buckets start at whole multiples of it since the epoch (UTC). Default `1h`." })),
    from: Type.Optional(EpochMs("Steps that ended at or after this time (epoch ms). Default: 24 hours before `to`.")),
    to: Type.Optional(EpochMs("Steps that ended before this time (epoch ms). Default: now.")),
  },
  { additionalProperties: false },
);
export type StepSeriesQuery = Static<typeof StepSeriesQuery>;

export const StartRunBody = Type.Object(
  {
    // No client-chosen run id: an id taken by another account's run would collide in the store.
    input: Type.Optional(Type.Unknown({ description: "The workflow's input (JSON)." })),
  },
  { additionalProperties: false },
);
export type StartRunBody = Static<typeof StartRunBody>;

export const CancelBody = Type.Union([
  Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1_000 })) }, { additionalProperties: false }),
  Type.Null(),
]);
export type CancelBody = Static<typeof CancelBody>;

export const SignalParams = Type.Object(
  { runId: Id("The run's id."), name: Id("The signal a step of the run waits for (`ctx.waitFor(name)`).") },
  { additionalProperties: false },
);
export type SignalParams = Static<typeof SignalParams>;

/** A signal's payload: any JSON, checked against the schema its `waitFor` gave (a 400 names the field). */
export const SignalBody = Type.Unknown({ description: "The signal's payload, handed to the waiting step as the result of `waitFor`." });

export const StreamTokenBody = Type.Object(
  {
    runId: Type.Optional(Id("Bind the token to this run's stream.")),
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600, default: 300 })),
  },
  { additionalProperties: false },
);
export type StreamTokenBody = Static<typeof StreamTokenBody>;

const TokenParam = Type.Optional(Type.String({ minLength: 1, maxLength: 4_096, description: "A stream token from POST /api/stream-tokens." }));

export const RunStreamQuery = Type.Object(
  {
    after: Type.Optional(Cursor("Resume after this seq (the SSE `Last-Event-ID` header wins when both are sent).")),
    token: TokenParam,
  },
  { additionalProperties: false },
);
export type RunStreamQuery = Static<typeof RunStreamQuery>;

export const AccountStreamQuery = Type.Object(
  {
    after: Type.Optional(Cursor("Resume after this global cursor (`Last-Event-ID` wins when both are sent).")),
    types: Type.Optional(Names("Event types or globs such as `step.*` (repeat the parameter); one that selects no type is a 400.")),
    workflow: Type.Optional(Names("Workflow names (repeat the parameter).")),
    runId: Type.Optional(Id("Only this run's events, in cursor order.")),
    token: TokenParam,
  },
  { additionalProperties: false },
);
export type AccountStreamQuery = Static<typeof AccountStreamQuery>;
