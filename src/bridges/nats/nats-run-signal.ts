/**
 * Signals over the run queue: a request to deliver the signal a suspended run waits for
 * (`ctx.waitFor`) travels on the same subject as its workflow's start requests
 * (`<prefix>.<workflow>`), so the one durable consumer per workflow takes both (NATS 2.9: one
 * filter subject per consumer). The worker that takes it delivers the signal to the run if it
 * still holds it, or else resumes the run from its stored trail (`resumeRun`) and delivers it there.
 */
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { EventBus } from "../../bus/index.js";
import { ResumeRefusedError, resumeRun, SignalNotAwaitedError, SignalPayloadError, type ResumableWorkflow, type TrailReader } from "../../engine/index.js";
import type { RuntrailEvent } from "../../events/index.js";
import { checkPrefix, encodeToken } from "./nats-subjects.js";

/** The signal a resume request carries. */
export interface RunSignal {
  /** The signal's name, as the step's `waitFor` gave it. */
  readonly name: string;
  readonly payload?: unknown;
  /** Who sent it (recorded in `signal.received`). */
  readonly by: string;
}

/** What a resume request names: the run at the top of its tree, its workflow and account, and the signal. */
export interface SignalRequest {
  /** The run to resume: for a sub-workflow's wait, the run at the top of its tree (its signal reaches the child's wait). */
  readonly runId: string;
  /** The workflow that started `runId`: the request goes on its subject. */
  readonly workflow: string;
  readonly accountId: string;
  readonly signal: RunSignal;
}

/** The handle a worker delivers a signal to (a built workflow's `RunHandle` is one). */
export interface SignalTarget {
  readonly runId: string;
  readonly result: Promise<unknown>;
  signal(name: string, payload?: unknown, options?: { readonly by?: string }): Promise<void>;
  /** The signals the run waits for now (a run resumed from its trail reopens its waits without a new `run.suspended`). */
  waitingFor?(): readonly string[];
  /** The run's events so far (a built `RunHandle` has it): tells whether the stored trail went on without this copy. */
  history?(): readonly RuntrailEvent[];
}

/**
 * Queues `request` for a worker that registers `request.workflow`; resolves once JetStream holds
 * it. `msgId` (default: a new one per call) is the request's Nats-Msg-Id: the same id sent twice
 * within the stream's duplicate window (a retried dispatch) is queued once. A server passes the
 * run, the signal and the seq of the `run.suspended` it answers, so one wait gets one request.
 *
 * @example
 * await dispatchNatsSignal(nc, { runId, workflow: "approvals", accountId: "acme", signal: { name: "approval", payload: { approved: true }, by: "alice" } });
 */
export async function dispatchNatsSignal(nc: NatsConnection, request: SignalRequest, options: { readonly prefix?: string; readonly msgId?: string } = {}): Promise<void> {
  if (typeof request.runId !== "string" || request.runId === "") throw new Error("dispatchNatsSignal: request.runId must name the run");
  if (typeof request.signal?.name !== "string" || request.signal.name === "") throw new Error(`dispatchNatsSignal: request.signal.name must name the signal (run ${request.runId})`);
  const prefix = checkPrefix(options.prefix ?? "runtrail.start");
  const msgID = options.msgId ?? `${request.runId}.signal.${request.signal.name}.${globalThis.crypto.randomUUID()}`;
  await jetstream(nc).publish(`${prefix}.${encodeToken(request.workflow)}`, JSON.stringify(request), { msgID });
}

/** What a signal request came to: delivered (ack it), refused for good (term it, say why), or failed for now (retry). */
export type SignalOutcome =
  | { readonly kind: "delivered"; readonly resumed?: SignalTarget }
  | { readonly kind: "refused"; readonly reason: string; readonly resumed?: SignalTarget }
  | { readonly kind: "retry"; readonly reason: string }
  /** This worker's copy of the run is behind its stored trail (another process went on with it): drop the copy, leave the request to another worker. */
  | { readonly kind: "stale"; readonly reason: string };

/** What {@link deliverSignal} needs from its worker. */
export interface SignalDelivery {
  readonly bus: EventBus;
  /** The runs this worker holds now, by id: a signal for one of them is delivered in memory. */
  readonly held: ReadonlyMap<string, SignalTarget>;
  /** Where stored trails are read from; absent: this worker can only signal runs it holds. */
  readonly trails?: TrailReader;
  /** The workflow the request names, if it can go on from a trail. */
  readonly workflow: ResumableWorkflow | undefined;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Delivers `request`'s signal: to the run this worker holds, or to the run resumed here from its
 * trail. Resolves once `signal.received` is on the bus (the request is then done), or says why not.
 */
export async function deliverSignal(request: SignalRequest, delivery: SignalDelivery): Promise<SignalOutcome> {
  const { name, payload, by } = request.signal;
  const refused = (error: unknown): SignalOutcome | undefined =>
    error instanceof ResumeRefusedError || error instanceof SignalNotAwaitedError || error instanceof SignalPayloadError ? { kind: "refused", reason: `run ${request.runId}: ${error.message}` } : undefined;
  const own = delivery.held.get(request.runId);
  if (own !== undefined) {
    const behind = delivery.trails === undefined ? undefined : await storedBeyond(delivery.trails, request, own).catch(() => undefined);
    if (behind !== undefined) return { kind: "stale", reason: `run ${request.runId} went on in another process after seq ${behind} of this worker's copy: the copy is dropped, and the signal left to the worker that holds the run` };
    try {
      await own.signal(name, payload, { by });
      return { kind: "delivered" };
    } catch (error) {
      return refused(error) ?? { kind: "retry", reason: `run ${request.runId}: ${messageOf(error)}` };
    }
  }
  if (delivery.trails === undefined) {
    return { kind: "refused", reason: `run ${request.runId} is not held by this worker, and it reads no stored trails (start it with --db or --postgres) to resume the run from` };
  }
  if (delivery.workflow === undefined) return { kind: "refused", reason: `run ${request.runId}: workflow "${request.workflow}" cannot go on from a trail in this worker (it has no resume)` };
  let handle;
  try {
    handle = await resumeRun(delivery.trails, request.runId, delivery.workflow, { accountId: request.accountId, bus: delivery.bus });
  } catch (error) {
    // A store that cannot be read now is worth a retry; a run that cannot be resumed is not.
    return refused(error) ?? { kind: "retry", reason: `run ${request.runId}: cannot read its trail: ${messageOf(error)}` };
  }
  try {
    await handle.signal(name, payload, { by });
  } catch (error) {
    // Resumed, but the wait is not there (it timed out on resume, or another name): the run goes on
    // here as its trail says; the request is done with.
    return { kind: "refused", reason: `run ${request.runId} resumed from its trail, but: ${messageOf(error)}`, resumed: handle };
  }
  return { kind: "delivered", resumed: handle };
}

/**
 * The last seq of `own`'s copy when the stored trail has events after it (another process
 * resumed the run and went on), else undefined. The store only lags this worker's own events
 * (collectors store them after it), so a stored event beyond the copy is another process's.
 */
async function storedBeyond(trails: TrailReader, request: SignalRequest, own: SignalTarget): Promise<number | undefined> {
  const last = own.history?.().at(-1)?.seq;
  if (last === undefined) return undefined;
  const after = await trails.readRun(request.accountId, request.runId, { after: last, limit: 1 });
  return after.items.length > 0 ? last : undefined;
}

/** Whether a request on the run queue is a signal request (a start request has no `signal`). */
export function isSignalRequest(request: { readonly signal?: unknown }): request is SignalRequest {
  return request.signal !== undefined;
}

/** A run's latest status event says it waits for a signal (its state is in the trail, nothing runs). */
export function waitsForSignal(event: RuntrailEvent): boolean {
  return event.type === "run.suspended" && typeof (event as { waitingFor?: unknown }).waitingFor === "string";
}
