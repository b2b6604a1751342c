/**
 * The API's response schemas, in TypeBox. Each route lists them in `schema.response`: Fastify
 * serialises its replies with them (fast-json-stringify) and `@fastify/swagger` documents them in
 * `/api/openapi.json`. A response schema drops any property it does not name, so each one names
 * every field its route sends; fields that come from events (an event, an error, a progress) stay
 * open, because a producer may add fields of its own.
 */
import { Type, type Static, type TObject, type TProperties, type TSchema, type TUnsafe } from "@sinclair/typebox";
import { EnvelopeProperties } from "../../events/index.js";
import { ErrorInfo, WorkflowRef } from "../../events/index.js";
import { Progress } from "../../events/index.js";
import { STEP_STATUSES } from "../../projections/index.js";
import { RunStatusSchema, StringEnum } from "./api-schemas.js";

const Count = Type.Integer({ minimum: 0 });
const EpochMs = (description: string) => Type.Number({ minimum: 0, description });

/** An object of the event vocabulary sent as the producer wrote it: its own fields pass through. */
const passThrough = <P extends TProperties>(schema: TObject<P>, description: string) =>
  Type.Object(schema.properties, { additionalProperties: true, description });

/** A reference to a schema shared through `app.addSchema` (a component of the OpenAPI document). */
function refTo<T extends TSchema>(schema: T, description?: string): TUnsafe<Static<T>> {
  if (schema.$id === undefined) throw new TypeError("a shared schema needs an $id");
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id, description === undefined ? {} : { description }));
}

/** An array whose static type is readonly, so the store's `readonly` lists are sent as they are. */
const ListOf = <T extends TSchema>(items: T, description?: string): TUnsafe<readonly Static<T>[]> =>
  Type.Unsafe<readonly Static<T>[]>(Type.Array(items, description === undefined ? {} : { description }));

/** The body of every error response. */
export const ErrorBody = Type.Object(
  {
    error: Type.String({
      description: "A stable code: bad_request, unauthorized, forbidden, not_found, conflict, payload_too_large, uri_too_long, client_error, internal.",
    }),
    message: Type.String(),
    field: Type.Optional(Type.String({ description: "For bad_request: the field at fault, e.g. `querystring.limit`." })),
  },
  { $id: "Error", title: "Error", additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** An event as stored: the envelope every event has; the fields of its type pass through. */
export const EventBody = Type.Object(
  {
    type: Type.String({ minLength: 1, description: "The event type, e.g. `step.completed` or a custom `x.*` type." }),
    ...EnvelopeProperties,
    workflow: passThrough(WorkflowRef, "The workflow the run belongs to."),
  },
  {
    $id: "Event",
    title: "Event",
    additionalProperties: true,
    description: "One event. Each type's own fields are in the event JSON Schema (`schema/runtrail-event.schema.json`).",
  },
);

/** A run as the store projects it (the `RunRecord` of the store). */
export const RunBody = Type.Object(
  {
    runId: Type.String(),
    accountId: Type.String(),
    workflow: WorkflowRef,
    status: RunStatusSchema,
    parentRunId: Type.Optional(Type.String({ description: "Set for a sub-workflow's run." })),
    startedAt: EpochMs("ts of the run's first stored event."),
    lastEventAt: EpochMs("ts of the run's latest stored event."),
    endedAt: Type.Optional(EpochMs("ts of the event that ended the run.")),
    durationMs: Type.Optional(Type.Number({ minimum: 0, description: "The ending event's `durationMs`." })),
    lastSeq: Count,
    eventCount: Count,
    progress: Type.Optional(passThrough(Progress, "The latest `progress.updated` progress.")),
    error: Type.Optional(passThrough(ErrorInfo, "The `run.failed` error.")),
    stepsCompleted: Count,
    stepsFailed: Count,
    stepsSkipped: Count,
    retries: Count,
    issueCount: Type.Integer({ minimum: 0, description: "Issues (non-fatal warnings) reported by the run's steps." }),
  },
  { $id: "Run", title: "Run", additionalProperties: false },
);

const StepStatusSchema = StringEnum(STEP_STATUSES);

/** A step of a run (one row per step id and loop path; the `StepRecord` of the store). */
export const StepBody = Type.Object(
  {
    runId: Type.String(),
    stepId: Type.String(),
    path: ListOf(Type.Integer({ minimum: 0 }), "Loop iteration path, `[]` outside loops."),
    status: StepStatusSchema,
    attempts: Count,
    startedAt: Type.Optional(EpochMs("ts of the first attempt's start.")),
    endedAt: Type.Optional(EpochMs("ts of the last attempt's end.")),
    durationMs: Type.Optional(Type.Number({ minimum: 0, description: "`durationMs` of the last attempt that ended." })),
    totalDurationMs: Type.Number({ minimum: 0, description: "Sum of `durationMs` over every attempt that ended." }),
    failures: Count,
    error: Type.Optional(passThrough(ErrorInfo, "The last failure's error.")),
  },
  { $id: "Step", title: "Step", additionalProperties: false },
);

/** Schemas the routes refer to by `$id`: register each with `app.addSchema` before the routes. */
export const sharedResponseSchemas = [ErrorBody, EventBody, RunBody, StepBody] as const;

export const RunsPage = Type.Object(
  { runs: ListOf(refTo(RunBody)), next: Type.Optional(Type.String({ description: "Pass as `pageToken` for the next page; absent on the last page." })) },
  { additionalProperties: false, description: "A page of runs, newest first." },
);

export const RunSummary = Type.Object(
  { run: refTo(RunBody), steps: ListOf(refTo(StepBody)) },
  { additionalProperties: false, description: "The run with its steps; `run.progress` is its latest progress." },
);

export const EventsPage = Type.Object(
  {
    events: ListOf(refTo(EventBody)),
    next: Type.Optional(Type.Integer({ minimum: 1, description: "The page's last seq: pass as `after` for the next page; absent on the last page." })),
  },
  { additionalProperties: false, description: "A page of the run's events in seq order." },
);

export const StepAnalytics = Type.Object(
  {
    durations: ListOf(
      Type.Object(
        { stepId: Type.String(), count: Count, avgMs: Type.Number({ minimum: 0 }), p95Ms: Type.Number({ minimum: 0, description: "Nearest-rank p95." }) },
        { additionalProperties: false },
      ),
      "Durations of completed attempts by step id, slowest average first.",
    ),
    failures: ListOf(
      Type.Object(
        { stepId: Type.String(), failures: Type.Integer({ minimum: 0, description: "Failed attempts." }), runsFailed: Type.Integer({ minimum: 0, description: "Runs in which the step ended failed." }) },
        { additionalProperties: false },
      ),
      "Failures by step id, most failures first.",
    ),
  },
  { additionalProperties: false, description: "Step durations and failures over the runs in scope." },
);

export const StepSeriesAnalytics = Type.Object(
  {
    workflow: Type.String(),
    bucket: Type.String({ description: "The bucket width asked for, e.g. `1h`." }),
    bucketMs: Type.Integer({ minimum: 1, description: "The bucket width in ms." }),
    from: EpochMs("The range's start (included)."),
    to: EpochMs("The range's end (excluded)."),
    buckets: ListOf(EpochMs("A bucket's start."), "The start of every bucket the range touches, oldest first: the x axis."),
    steps: ListOf(
      Type.Object(
        {
          stepId: Type.String(),
          points: ListOf(
            Type.Object(
              {
                t: EpochMs("The bucket's start (one of `buckets`)."),
                completed: Type.Integer({ minimum: 0, description: "Steps that completed." }),
                failures: Type.Integer({ minimum: 0, description: "Failed attempts." }),
                runsFailed: Type.Integer({ minimum: 0, description: "Runs in which the step ended failed." }),
                avgMs: Type.Optional(Type.Number({ minimum: 0, description: "Average duration of the completed ones; absent when none completed." })),
                p95Ms: Type.Optional(Type.Number({ minimum: 0, description: "Nearest-rank p95 of the completed ones; absent when none completed." })),
              },
              { additionalProperties: false },
            ),
            "The buckets in which the step ended, oldest first; a bucket where it neither completed nor failed has no point.",
          ),
        },
        { additionalProperties: false },
      ),
      "Steps by id. A step counts in the bucket where it last ended, and so do its failed attempts.",
    ),
  },
  { additionalProperties: false, description: "A workflow's step outcomes and durations over time." },
);

export const RunStarted = Type.Object(
  { runId: Type.String({ description: "Its first event is stored: stream it at once." }), workflow: Type.String() },
  { additionalProperties: false, description: "The run started." },
);

export const RunCancelled = Type.Object(
  { runId: Type.String(), cancelled: Type.Literal(true) },
  { additionalProperties: false, description: "Cancellation requested; the run ends with `run.cancelled`." },
);

export const SignalAccepted = Type.Object(
  {
    runId: Type.String(),
    signal: Type.String(),
    /** Whether this server went on with the run from its stored trail (no process held it). */
    resumedFromTrail: Type.Boolean(),
  },
  { additionalProperties: false, description: "The signal is in the trail (`signal.received`) and the waiting step goes on." },
);

export const StreamTokenIssued = Type.Object(
  {
    token: Type.String({ description: "Pass as `?token=` on stream routes." }),
    expiresAt: EpochMs("When the token stops being accepted (epoch ms)."),
    runId: Type.Optional(Type.String({ description: "The only run whose stream the token opens." })),
  },
  { additionalProperties: false, description: "A stream token." },
);

/** What each error status means on every route that may answer it. */
const ERROR_MEANINGS = {
  400: "The request is invalid; `field` names the part at fault.",
  401: "Missing or invalid credentials.",
  403: "The token is read-only.",
  404: "Not found (another account's run is not found either).",
  409: "Conflict.",
  413: "The body is larger than the server's `bodyLimit`.",
  414: "The URL is longer than the server's `maxUrlLength`.",
  415: "The request is not sent as `Content-Type: application/json` (every state-changing request must be, even with an empty body).",
  429: "Too many open streams: `message` names the cap (per token or per server); `field` the credential counted.",
  500: "Internal error.",
  503: "Unavailable.",
} as const;
type ErrorStatus = keyof typeof ERROR_MEANINGS;

/** Every route may answer these: its input is validated, its caller authenticated, its URL bounded. */
const EVERY_ROUTE: readonly ErrorStatus[] = [400, 401, 414, 500];
/** And routes with a JSON body these. */
const BODY_ROUTE: readonly ErrorStatus[] = [413, 415];

/**
 * A route's `schema.response`: its success bodies, the errors every route may answer, and `more`
 * errors (with what they mean on this route, or `true` for the usual meaning).
 *
 * @example
 * app.get("/api/runs/:runId", { schema: { params: RunParams, response: apiResponses({ 200: RunSummary }, { 404: "No such run." }) } }, handler);
 */
export function apiResponses<S extends Record<number, TSchema>>(
  success: S,
  more: { readonly [K in ErrorStatus]?: string | true } = {},
  options: { readonly body?: boolean } = {},
): S & Record<ErrorStatus, TUnsafe<ErrorBody>> {
  const statuses = new Set<ErrorStatus>([...EVERY_ROUTE, ...(options.body === true ? BODY_ROUTE : []), ...(Object.keys(more).map(Number) as ErrorStatus[])]);
  const errors: Partial<Record<ErrorStatus, TUnsafe<ErrorBody>>> = {};
  for (const status of [...statuses].sort((a, b) => a - b)) {
    const meaning = more[status];
    errors[status] = refTo(ErrorBody, typeof meaning === "string" ? meaning : ERROR_MEANINGS[status]);
  }
  // Only the statuses listed are present; the type names them all, which only widens the reply type.
  return { ...success, ...errors } as S & Record<ErrorStatus, TUnsafe<ErrorBody>>;
}

/**
 * The success answer of an SSE route: a `text/event-stream`, not JSON. Fastify takes a status
 * schema with `content` per media type; the stream is written by the route itself, so nothing is
 * serialised against it: it documents the frames.
 */
export const EventStream = (description: string) =>
  Type.Unsafe<string>({
    description,
    content: {
      "text/event-stream": {
        schema: {
          type: "string",
          description:
            "Frames `id: <id>\\ndata: <event JSON>\\n\\n`; `event: end` with `{ runId, lastSeq }` when a run stream's run has ended and all was sent; `: heartbeat` comments; `event: error` with `{ error, message }` if the stream fails (reconnect with Last-Event-ID), or `{ error: \"cursor_ahead\", message, lastSeq }` when it was resumed past the run's last stored event (resume from `lastSeq`).",
        },
      },
    },
  });
