/**
 * @module runtrail/nats
 * Runtrail beyond one machine, on NATS JetStream: workers publish their trails
 * ({@link createNatsPublisher}), collectors store them ({@link startNatsCollector}), and any
 * process follows them ({@link subscribeNats}) or streams them from its server
 * ({@link natsCommitSignal}). Needs the optional peer dependencies `@nats-io/transport-node`
 * and `@nats-io/jetstream` (3.x); works with NATS 2.9 and later.
 */
export { announceCommit, DEFAULT_COMMIT_SUBJECT, natsCommitSignal, type NatsSignalOptions } from "./nats-commit-signal.js";
export { startNatsCollector, type NatsCollector, type NatsCollectorOptions, type NatsCollectorStats } from "./nats-collector.js";
export { idempotentStore } from "./nats-idempotent-store.js";
export { createNatsPublisher, type NatsPublisher, type NatsPublisherOptions, type NatsPublisherStats, type PublishFailure } from "./nats-publisher.js";
export {
  DEFAULT_PREFIX,
  DEFAULT_STREAM,
  ensureCollectorConsumer,
  ensureNatsStream,
  type CollectorConsumerOptions,
  type NatsStreamOptions,
} from "./nats-stream.js";
export { decodeToken, encodeToken, eventSubject, subjectFilter } from "./nats-subjects.js";
export { subscribeNats, type NatsSubscribeOptions, type NatsSubscription } from "./nats-subscription.js";
export {
  DEFAULT_RUN_PREFIX,
  DEFAULT_RUN_STREAM,
  dispatchNatsRun,
  ensureNatsRunQueue,
  startNatsWorker,
  type NatsRunQueueOptions,
  type NatsWorker,
  type NatsWorkerOptions,
  type QueuedWorkflow,
  type RunRequest,
} from "./nats-run-queue.js";
export { dispatchNatsSignal, type RunSignal, type SignalRequest, type SignalTarget } from "./nats-run-signal.js";
