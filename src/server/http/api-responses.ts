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
import { Progress, RunGraph } from "../../events/index.js";
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

/** What a suspended run's row says of its latest `run.suspended` (the store's `RunSuspension`). */
const RunSuspensionBody = Type.Object(
  {
    since: EpochMs("ts of the `run.suspended`."),
    seq: Count,
    reason: Type.Optional(Type.String()),
    by: Type.Optional(Type.String({ description: "Who suspended it: `caller`, an API token, `control:<handler>`, `step:<stepId>`." })),
    waitingFor: Type.Optional(Type.String({ description: "The signal a step waits for (`ctx.waitFor(name)`); absent for a pause asked from outside." })),
    stepId: Type.Optional(Type.String({ description: "The waiting step." })),
    timeoutMs: Type.Optional(Type.Number({ minimum: 0 })),
    deadline: Type.Optional(Type.Number({ description: "Epoch ms after which the wait times out." })),
    schema: Type.Optional(Type.Unknown({ description: "The JSON Schema the signal's payload must match (absent above 16 KB; the event has it)." })),
  },
  { additionalProperties: false, description: "Present while the run is suspended." },
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
    parentStepId: Type.Optional(Type.String({ description: "Set for a sub-workflow's run: the parent run's step that started it." })),
    suspension: Type.Optional(RunSuspensionBody),
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

/** A number, or null where the row has none (OpenAPI 3.0's `nullable`; no union for the serialiser to test). */
const NullableNumber = (description: string) => Type.Unsafe<number | null>({ type: "number", nullable: true, description });
const Column = <T extends TSchema>(items: T, description: string) => ListOf(items, description);

/**
 * A run's steps as columns, one entry per step row in the store's order: the same content as
 * `Step` rows (less the run id), about a sixth of their JSON for a run of thousands of loop
 * iterations, where the row objects repeated every key and id.
 */
export const StepTable = Type.Object(
  {
    base: EpochMs("The epoch ms `startedAt` and `endedAt` count from: the run's `startedAt`."),
    stepIds: ListOf(Type.String(), "The distinct step ids; `step` indexes into it."),
    statuses: ListOf(StepStatusSchema, "The statuses; `status` indexes into it."),
    step: Column(Count, "Per row: its step id, as an index into `stepIds`."),
    path: Column(ListOf(Type.Integer({ minimum: 0 })), "Per row: its loop iteration path, `[]` outside loops."),
    status: Column(Count, "Per row: its status, as an index into `statuses`."),
    attempts: Column(Count, "Per row: attempts started."),
    failures: Column(Count, "Per row: failed attempts."),
    startedAt: Column(NullableNumber("ms after `base`"), "Per row: when its first attempt started, in ms after `base`; null if it has not."),
    endedAt: Column(NullableNumber("ms after `base`"), "Per row: when its last attempt ended, in ms after `base`; null if none has."),
    durationMs: Column(NullableNumber("ms"), "Per row: `durationMs` of the last attempt that ended; null if none has."),
    totalDurationMs: Column(Type.Number({ minimum: 0 }), "Per row: the sum of `durationMs` over its attempts that ended."),
    errors: ListOf(
      Type.Object({ row: Count, error: passThrough(ErrorInfo, "The last failure's error.") }, { additionalProperties: false }),
      "The rows with an error (their last failure), by row index.",
    ),
  },
  { additionalProperties: false, description: "A run's step rows as columns." },
);
export type StepTable = Static<typeof StepTable>;

export const RunOverview = Type.Object(
  {
    run: refTo(RunBody),
    graph: Type.Optional(passThrough(RunGraph, "The workflow's graph, from the run's `run.started`; absent when the producer sent none.")),
    steps: StepTable,
    tail: Type.Optional(
      Type.Object(
        {
          after: Count,
          events: ListOf(refTo(EventBody), "The run's events with seq > `after`, in seq order: its last two pages of `tail` events."),
        },
        { additionalProperties: false, description: "With `?tail=`: the run's latest events." },
      ),
    ),
  },
  { additionalProperties: false, description: "What the run view opens with: the run, its workflow's graph and its steps as a table (no step's input, output or events)." },
);

export const StepDetail = Type.Object(
  {
    step: refTo(StepBody),
    events: ListOf(refTo(EventBody), "The step row's own events (its id and loop path) in seq order: attempts, input, output, metrics, issues, tool and LLM calls, custom events."),
    next: Type.Optional(Type.Integer({ minimum: 1, description: "The page's last seq: pass as `after` for the next page; absent on the last page." })),
  },
  { additionalProperties: false, description: "One step row with a page of its events." },
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

export const SignalQueued = Type.Object(
  {
    runId: Type.String(),
    signal: Type.String(),
    queued: Type.Literal(true),
  },
  {
    additionalProperties: false,
    description: "A server with no writer (`serve --nats`): the payload matched the wait's schema, and the signal is queued for a worker that resumes the run from its trail.",
  },
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

export const RunSuspendAccepted = Type.Object(
  { runId: Type.String(), suspended: Type.Literal(true) },
  { additionalProperties: false, description: "`run.suspended` is in the trail: no new step starts (running ones finish) until a resume." },
);

export const RunResumeAccepted = Type.Object(
  {
    runId: Type.String(),
    resumed: Type.Literal(true),
    /** Whether this server went on with the run from its stored trail (no process held it). */
    resumedFromTrail: Type.Boolean(),
  },
  { additionalProperties: false, description: "`run.resumed` is in the trail and the run goes on." },
);

export const RunControls = Type.Object(
  {
    runId: Type.String(),
    status: RunStatusSchema,
    held: Type.Boolean({ description: "Whether this server executes the run (it can suspend it only then)." }),
    readOnly: Type.Boolean({ description: "Whether the asking token is read-only (every action is refused)." }),
    paused: Type.Boolean({ description: "Suspended from outside (resume ends it), not only waiting for a signal." }),
    waitingFor: ListOf(Type.String(), "The signals the run's steps wait for now, oldest first."),
    suspension: Type.Optional(RunSuspensionBody),
    can: Type.Object(
      {
        suspend: Type.Boolean(),
        resume: Type.Boolean(),
        signal: Type.Boolean({ description: "A signal the run waits for would be taken here (held, or resumable from its trail)." }),
        cancel: Type.Boolean(),
      },
      { additionalProperties: false, description: "What this token may do to the run on this server now." },
    ),
  },
  { additionalProperties: false, description: "What can be done to the run here, for the dashboard's buttons." },
);
