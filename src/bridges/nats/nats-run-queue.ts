/**
 * Runs started anywhere, executed by whichever worker is free: a JetStream work-queue stream of
 * start requests (`<prefix>.<workflow>`), one durable consumer per workflow shared by every worker
 * that registers it. A request is acknowledged once its run has started (its `run.started` is on
 * the worker's bus): a worker that dies before that leaves the request for another worker; one
 * that dies after leaves a run whose trail says how far it got (never the same run twice).
 */
import { AckPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { EventBus } from "../../bus/index.js";
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

/** What a start request carries. */
export interface RunRequest {
  readonly runId: string;
  readonly workflow: string;
  readonly accountId: string;
  readonly input: unknown;
}

/** The slice of a `Workflow` a worker uses (any built workflow fits). */
export interface QueuedWorkflow {
  readonly name: string;
  start(input: unknown, options: { runId: string; accountId: string; bus: EventBus }): { readonly runId: string; readonly result: Promise<unknown> };
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
  /** Each run this worker started, once it has ended (the error is in its trail too). */
  readonly onRunEnded?: (runId: string, error: unknown) => void;
}

/** A running worker. */
export interface NatsWorker {
  /** Runs executing now. */
  readonly running: number;
  /** Takes no more requests, then resolves once every run it started has ended. */
  close(): Promise<void>;
}

/**
 * Takes start requests for `workflows` from the run queue and runs them on `bus` (whose events
 * a `createNatsPublisher` sends on): at most `concurrency` at once, each request acknowledged once
 * its run has started.
 *
 * @example
 * const bus = createBus();
 * const publisher = createNatsPublisher(bus, nc);
 * const worker = await startNatsWorker(nc, bus, [etl, report], { concurrency: 8 });
 */
export async function startNatsWorker(nc: NatsConnection, bus: EventBus, workflows: readonly QueuedWorkflow[], options: NatsWorkerOptions = {}): Promise<NatsWorker> {
  const { stream, prefix } = queueOf(options);
  const concurrency = options.concurrency ?? 4;
  const onReject = options.onReject ?? ((reason, subject) => console.warn(`[runtrail] run request on ${subject} refused: ${reason}`));
  await ensureNatsRunQueue(nc, options);
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const runs = new Set<Promise<void>>();
  const stopping = new AbortController();
  // Every workflow's loop that waits for a run to end, so that it can take the next request.
  const waiting = new Set<() => void>();
  const roomFreed = (): Promise<void> => new Promise((resolve) => waiting.add(resolve));
  const wakeAll = (): void => {
    for (const resolve of waiting) resolve();
    waiting.clear();
  };

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
      if (runs.size >= concurrency) {
        await roomFreed();
        continue;
      }
      const message = await consumer.next({ expires: 1_000 }).catch(() => null);
      if (message === null) continue;
      if (stopping.signal.aborted) {
        message.nak();
        break;
      }
      start(workflow, message);
    }
  });

  function start(workflow: QueuedWorkflow, message: JsMsg): void {
    let request: RunRequest;
    try {
      request = message.json<RunRequest>();
      if (typeof request.runId !== "string" || request.workflow !== workflow.name) throw new Error(`not a request to run "${workflow.name}"`);
    } catch (error) {
      message.term();
      onReject(error instanceof Error ? error.message : String(error), message.subject);
      return;
    }
    let handle: { result: Promise<unknown> };
    try {
      handle = workflow.start(request.input, { runId: request.runId, accountId: request.accountId ?? "default", bus });
    } catch (error) {
      message.term();
      onReject(`run ${request.runId}: ${error instanceof Error ? error.message : String(error)}`, message.subject);
      return;
    }
    // Started: its trail is on the bus from run.started on, so the request is done.
    message.ack();
    const ended = handle.result.then(
      () => options.onRunEnded?.(request.runId, undefined),
      (error: unknown) => options.onRunEnded?.(request.runId, error),
    );
    const tracked = ended.finally(() => {
      runs.delete(tracked);
      wakeAll();
    });
    runs.add(tracked);
  }

  let closing: Promise<void> | undefined;
  return {
    get running() {
      return runs.size;
    },
    close() {
      closing ??= (async () => {
        stopping.abort();
        wakeAll();
        await Promise.all(loops);
        await Promise.all(runs);
      })();
      return closing;
    },
  };
}
