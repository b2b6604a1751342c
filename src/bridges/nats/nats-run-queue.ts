/**
 * Runs started anywhere, executed by whichever worker is free: a JetStream work-queue stream of
 * start requests (`<prefix>.<workflow>`), one durable consumer per workflow shared by every worker
 * that registers it. A request is acknowledged once its run has started (its `run.started` is on
 * the worker's bus): a worker that dies before that leaves the request for another worker; one
 * that dies after leaves a run whose trail says how far it got (never the same run twice).
 *
 * The same subjects carry signal requests (`dispatchNatsSignal`, nats-run-signal.ts) for runs
 * suspended in `ctx.waitFor`: the worker that takes one delivers the signal to the run if it holds
 * it, or resumes the run from its stored trail (option `trails`) and delivers it there; the request
 * is acknowledged once `signal.received` is on the worker's bus. A run that waits for a signal
 * does not keep its worker from closing: its state is in its trail, and any worker resumes it. A
 * copy this worker holds that the stored trail has gone past (another worker resumed the run) is
 * dropped when a signal request reaches it, and the request left to another worker.
 */
import { AckPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { EventBus } from "../../bus/index.js";
import type { ResumeOptions, RunHandle, TrailReader } from "../../engine/index.js";
import type { RuntrailEvent } from "../../events/index.js";
import { deliverSignal, isSignalRequest, waitsForSignal, type RunSignal, type SignalRequest, type SignalTarget } from "./nats-run-signal.js";
import { checkPrefix, encodeToken } from "./nats-subjects.js";

/** The default run queue's stream name and subject prefix. */
export const DEFAULT_RUN_STREAM = "RUNTRAIL_RUNS";
export const DEFAULT_RUN_PREFIX = "runtrail.start";

/** Where start requests go: the work-queue stream and its subject prefix. */
export interface NatsRunQueueOptions {
  /** Default `RUNTRAIL_RUNS`. */
  readonly stream?: string;
  /** Requests are published on `<prefix>.<workflow token>`. Default `runtrail.start`. */
  readonly prefix?: string;
  /** Default `file`; `memory` for tests. */
  readonly storage?: "file" | "memory";
}

/** What a start request carries; with `signal`, it is a signal request for a suspended run instead. */
export interface RunRequest {
  readonly runId: string;
  readonly workflow: string;
  readonly accountId: string;
  readonly input?: unknown;
  /** A signal request (`dispatchNatsSignal`): deliver this to the run `runId`, resuming it from its trail if no worker holds it. */
  readonly signal?: RunSignal;
}

/** The slice of a `Workflow` a worker uses (any built workflow fits). */
export interface QueuedWorkflow {
  readonly name: string;
  readonly version?: string | undefined;
  start(input: unknown, options: { runId: string; accountId: string; bus: EventBus }): SignalTarget;
  /** Goes on with a suspended run from its trail (a built `Workflow` has it): lets a signal request resume a run no worker holds. */
  resume?(trail: readonly RuntrailEvent[], options?: ResumeOptions): RunHandle<unknown>;
}

/** How long a worker may hold a request before JetStream offers it to another: 30 s. */
const ACK_WAIT_NS = 30_000_000_000;

const queueOf = (options: NatsRunQueueOptions): { stream: string; prefix: string } => ({
  stream: options.stream ?? DEFAULT_RUN_STREAM,
  prefix: checkPrefix(options.prefix ?? DEFAULT_RUN_PREFIX),
});

/** The durable consumer of one workflow's requests: its name is the workflow's subject token. */
const durableOf = (workflow: string): string => `runtrail-worker-${encodeToken(workflow)}`;

/**
 * Creates the run queue's work-queue stream, or checks that the one there takes `<prefix>.>` and
 * is a work queue (a request is removed once a worker acknowledges it).
 *
 * @example
 * await ensureNatsRunQueue(nc);
 */
export async function ensureNatsRunQueue(nc: NatsConnection, options: NatsRunQueueOptions = {}): Promise<void> {
  const { stream, prefix } = queueOf(options);
  const jsm = await jetstreamManager(nc);
  try {
    const info = await jsm.streams.info(stream);
    if (info.config.retention !== RetentionPolicy.Workqueue || !info.config.subjects.includes(`${prefix}.>`)) {
      throw new Error(`NATS stream "${stream}" is not a run queue on "${prefix}.>" (retention ${info.config.retention}, subjects ${JSON.stringify(info.config.subjects)}): use another stream name or prefix`);
    }
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
    await jsm.streams.add({
      name: stream,
      subjects: [`${prefix}.>`],
      retention: RetentionPolicy.Workqueue,
      storage: options.storage === "memory" ? StorageType.Memory : StorageType.File,
      num_replicas: 1,
    });
  }
}

/**
 * Asks a worker to run `workflow` with `input`; resolves with the run's id as soon as JetStream
 * holds the request (the run's trail then appears on the events stream, under that id).
 *
 * @example
 * const runId = await dispatchNatsRun(nc, "etl", { day: "2026-12-03" }, { accountId: "acme" });
 */
export async function dispatchNatsRun(
  nc: NatsConnection,
  workflow: string,
  input: unknown,
  options: NatsRunQueueOptions & { readonly accountId?: string; readonly runId?: string } = {},
): Promise<string> {
  const { prefix } = queueOf(options);
  const request: RunRequest = { runId: options.runId ?? globalThis.crypto.randomUUID(), workflow, accountId: options.accountId ?? "default", input };
  // The run id is the message id: a request sent twice (a retried dispatch) is queued once.
  await jetstream(nc).publish(`${prefix}.${encodeToken(workflow)}`, JSON.stringify(request), { msgID: request.runId });
  return request.runId;
}

/** Options of {@link startNatsWorker}. */
export interface NatsWorkerOptions extends NatsRunQueueOptions {
  /** Runs executing at once in this worker; it takes no request beyond. Default 4. */
  readonly concurrency?: number;
  /** A request that cannot be started (bad JSON, unknown workflow, refused input). Default `console.warn`. */
  readonly onReject?: (reason: string, subject: string) => void;
  /** Each run this worker started or resumed, once it has ended (the error is in its trail too). */
  readonly onRunEnded?: (runId: string, error: unknown) => void;
  /**
   * Where stored trails are read from (an `EventStore` fits): a signal request for a suspended run
   * this worker does not hold resumes it from its trail. Absent: such requests are refused.
   */
  readonly trails?: TrailReader;
  /** Each signal this worker delivered (`resumed`: the run was resumed here from its trail). */
  readonly onSignal?: (runId: string, signal: string, resumed: boolean) => void;
}

/** A running worker. */
export interface NatsWorker {
  /** Runs executing now (not counting those that wait for a signal). */
  readonly running: number;
  /** Runs this worker holds that wait for a signal (their state is in their trail). */
  readonly waiting: number;
  /**
   * Takes no more requests, then resolves once every run it holds has ended or waits for a
   * signal (those need no process: a signal request resumes them in any worker, from the trail).
   */
  close(): Promise<void>;
}

/**
 * Takes start requests for `workflows` from the run queue and runs them on `bus` (whose events
 * a `createNatsPublisher` sends on): at most `concurrency` at once, each request acknowledged once
 * its run has started. Signal requests on the same subjects are delivered to the run this worker
 * holds, or to the run resumed here from `trails`, and acknowledged once `signal.received` is on
 * `bus`; one that cannot be served (the run ended, waits for no such signal, another version) is
 * terminated with a warning, never retried.
 *
 * @example
 * const bus = createBus();
 * const publisher = createNatsPublisher(bus, nc);
 * const worker = await startNatsWorker(nc, bus, [etl, report], { concurrency: 8, trails: store });
 */
export async function startNatsWorker(nc: NatsConnection, bus: EventBus, workflows: readonly QueuedWorkflow[], options: NatsWorkerOptions = {}): Promise<NatsWorker> {
  const { stream, prefix } = queueOf(options);
  const concurrency = options.concurrency ?? 4;
  const onReject = options.onReject ?? ((reason, subject) => console.warn(`[runtrail] run request on ${subject} refused: ${reason}`));
  await ensureNatsRunQueue(nc, options);
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  // The runs this worker holds (started or resumed here), by id, until each ends.
  const held = new Map<string, { readonly handle: SignalTarget; readonly ended: Promise<void> }>();
  // Of those, the ones whose latest status event says they wait for a signal.
  const parked = new Set<string>();
  const executing = (): number => held.size - parked.size;
  // Copies of runs another process went on with (signal requests found them behind the store): ignored from then on.
  const stale = new Set<string>();
  const stopping = new AbortController();
  // Every loop (and close) that waits for a run to end or to park, so that it can go on.
  const waiting = new Set<() => void>();
  const changed = (): Promise<void> => new Promise((resolve) => waiting.add(resolve));
  const wakeAll = (): void => {
    for (const resolve of waiting) resolve();
    waiting.clear();
  };
  const stopWatching = bus.onEvent(
    (event) => {
      if (!held.has(event.runId) || stale.has(event.runId)) return;
      if (waitsForSignal(event)) parked.add(event.runId);
      else parked.delete(event.runId);
      wakeAll();
    },
    { type: ["run.suspended", "run.resumed"] },
  );

  const unique = [...new Map(workflows.map((wf) => [wf.name, wf])).values()];
  const consumers = await Promise.all(
    unique.map(async (workflow) => {
      const durable = durableOf(workflow.name);
      // One consumer per workflow, with a single filter: NATS 2.9 has no filter_subjects.
      await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: `${prefix}.${encodeToken(workflow.name)}`, ack_wait: ACK_WAIT_NS });
      return { workflow, consumer: await js.consumers.get(stream, durable) };
    }),
  );
  const loops = consumers.map(async ({ workflow, consumer }) => {
    while (!stopping.signal.aborted) {
      if (executing() >= concurrency) {
        await changed();
        continue;
      }
      const message = await consumer.next({ expires: 1_000 }).catch(() => null);
      if (message === null) continue;
      if (stopping.signal.aborted) {
        message.nak();
        break;
      }
      const request = parse(workflow, message);
      if (request === undefined) continue;
      // A signal is delivered before the next request is taken: requests for one run stay in order.
      if (isSignalRequest(request)) await signal(workflow, request, message);
      else start(workflow, request, message);
    }
  });

  function parse(workflow: QueuedWorkflow, message: JsMsg): RunRequest | undefined {
    try {
      const request = message.json<RunRequest>();
      if (typeof request.runId !== "string" || request.workflow !== workflow.name) throw new Error(`not a request to run "${workflow.name}"`);
      if (request.signal !== undefined && (typeof request.signal.name !== "string" || typeof request.signal.by !== "string")) throw new Error(`run ${request.runId}: a signal request needs signal.name and signal.by`);
      return request;
    } catch (error) {
      message.term();
      onReject(error instanceof Error ? error.message : String(error), message.subject);
      return undefined;
    }
  }

  function hold(handle: SignalTarget): void {
    const { runId } = handle;
    const ended = handle.result.then(
      () => options.onRunEnded?.(runId, undefined),
      (error: unknown) => options.onRunEnded?.(runId, error),
    );
    held.set(runId, {
      handle,
      ended: ended.finally(() => {
        held.delete(runId);
        parked.delete(runId);
        wakeAll();
      }),
    });
  }

  function start(workflow: QueuedWorkflow, request: RunRequest, message: JsMsg): void {
    let handle: SignalTarget;
    try {
      handle = workflow.start(request.input, { runId: request.runId, accountId: request.accountId ?? "default", bus });
    } catch (error) {
      message.term();
      onReject(`run ${request.runId}: ${error instanceof Error ? error.message : String(error)}`, message.subject);
      return;
    }
    // Started: its trail is on the bus from run.started on, so the request is done.
    message.ack();
    hold(handle);
  }

  async function signal(workflow: QueuedWorkflow, request: SignalRequest, message: JsMsg): Promise<void> {
    // This bus still has the stale copy's seq, so the run cannot be resumed here: another worker's.
    if (stale.has(request.runId)) return void message.nak(1_000);
    // A resume may outlast the ack wait (a long trail to read): JetStream must not offer it twice meanwhile.
    const beat = setInterval(() => message.working(), ACK_WAIT_NS / 3_000_000);
    try {
      const resumable = workflow.resume === undefined ? undefined : { name: workflow.name, version: workflow.version, resume: workflow.resume.bind(workflow) };
      const handles = new Map([...held].filter(([runId]) => !stale.has(runId)).map(([runId, run]) => [runId, run.handle]));
      const outcome = await deliverSignal(request, { bus, held: handles, workflow: resumable, ...(options.trails === undefined ? {} : { trails: options.trails }) });
      if ((outcome.kind === "delivered" || outcome.kind === "refused") && outcome.resumed !== undefined) {
        hold(outcome.resumed);
        // Its waits were reopened from the trail (no run.suspended on the bus): still waiting, it is parked.
        if ((outcome.resumed.waitingFor?.().length ?? 0) > 0) parked.add(outcome.resumed.runId);
      }
      if (outcome.kind === "delivered") {
        message.ack();
        options.onSignal?.(request.runId, request.signal.name, outcome.resumed !== undefined);
      } else if (outcome.kind === "refused") {
        message.term();
        onReject(outcome.reason, message.subject);
      } else if (outcome.kind === "stale") {
        // No longer this worker's: it neither counts nor takes signals; another worker (or a later try here) resumes the run.
        stale.add(request.runId);
        held.delete(request.runId);
        parked.delete(request.runId);
        wakeAll();
        message.nak(1_000);
        onReject(outcome.reason, message.subject);
      } else {
        // The store could not be read now: offered again in a while, to this worker or another.
        message.nak(5_000);
        onReject(`${outcome.reason}; retried in 5 s`, message.subject);
      }
    } finally {
      clearInterval(beat);
    }
  }

  let closing: Promise<void> | undefined;
  return {
    get running() {
      return executing();
    },
    get waiting() {
      return parked.size;
    },
    close() {
      closing ??= (async () => {
        stopping.abort();
        wakeAll();
        await Promise.all(loops);
        // A run that waits for a signal is left: its trail holds its state, and any worker resumes it.
        while (executing() > 0) await changed();
        stopWatching();
      })();
      return closing;
    },
  };
}
