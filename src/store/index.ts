/**
 * @module runtrail/store
 * The event store contract, the batched lossless writer (`writer/`), payload limits and
 * redaction, replay, and the commit-signal contract (how a store's writes wake live streams).
 * Adapters live behind their own entry points: `runtrail/sqlite` and `runtrail/postgres`.
 */
export type {
  AnalyticsOptions,
  AppendBatch,
  AppendResult,
  EventStore,
  FindEventsOptions,
  ListRunsOptions,
  Page,
  PreparedEvent,
  ReadRunOptions,
  ReadStepEventsOptions,
  RetentionResult,
  RunRecord,
  RunSuspension,
  StepDurationStat,
  StepFailureStat,
  StepSeries,
  StepSeriesOptions,
  StepSeriesPoint,
  StepColumns,
  StepRecord,
  StoredEvent,
  RunDelta,
  AbandonedRun,
  RunClaim,
  DueRun,
  LeaseRenewal,
  StepDelta,
  TruncatedField,
} from "./store-types.js";
export { createStoreWriter } from "./writer/store-writer.js";
export {
  EventPayloadError,
  WriterClosedError,
  type CommittedBatch,
  type Durability,
  type StoreWriter,
  type StoreWriterOptions,
  type WriterFailure,
  type WriterStats,
} from "./writer/writer-types.js";
export {
  DEFAULT_MAX_FIELD_BYTES,
  DEFAULT_REDACTED_KEYS,
  REDACTED,
  isTruncatedValue,
  prepareEvent,
  redactKeys,
  type PayloadOptions,
  type Redactor,
  type TruncatedValue,
} from "./store-payload.js";
export { projectBatch } from "./store-projection.js";
export { iterateRun, replayRun, stateAt, type ReplayOptions } from "./store-replay.js";
// The status words are the projections' (one table for the store, the reducer and the API).
export { isRunFinished, type RunStatus, type StepStatus } from "../projections/index.js";
export { addRun, commitNotice, type CommitListener, type CommitNotice, type CommitSignal, type CommitSignalFactory } from "./commit-signal.js";
export { createRunLease, type RecoveryOutcome, type RunLease, type RunLeaseOptions, type RunRecovery } from "./lease/run-lease.js";
export { RUN_ABANDONED, abandonedRunEvent, closeAbandonedRun } from "./lease/abandoned-run.js";
