/**
 * @module runtrail/engine
 * The workflow engine: definitions (TypeScript builder, YAML/JSON specs), validation, the wave
 * scheduler with conditions, loops and sub-workflows, the step context, and `instrument` for
 * code that runs its own steps. Every transition is an event on the bus. Inside: `define/`
 * (what defines a workflow: model, spec compiler, graph and expression compilation), `run/`
 * (what runs one, behind the RunHost interface), and at the root the front doors that join them.
 */
export { workflow, WorkflowBuilder, type StepOptions, type WorkflowOptions } from "./workflow-builder.js";
export { Workflow, type ResumeOptions, type RunHandle, type RunStream, type StreamOptions } from "./workflow.js";
export type { RunOptions } from "./run/run-executor.js";
export { readTrail, resumeRun, type ResumableWorkflow, type ResumeRunOptions, type RunClaimer, type SubTrails, type TrailReader } from "./workflow-resume.js";
export { subRunId } from "./run/run-restore.js";
export { inflightOf, isIdleSuspended, type TrailInflight } from "./run/run-inflight.js";
export { recoverWorkflows, type DueWait, type LostRun, type RecoverableWorkflow, type RecoverOutcome, type RecoverWorkflowsOptions, type WorkflowRecovery } from "./workflow-recover.js";
export type { ParentStep } from "./run/run-host.js";
export type {
  Condition,
  ExpressionScope,
  GraphModel,
  LlmRequest,
  NodeModel,
  NodeOptions,
  RecoverMode,
  RetrySettings,
  StepContext,
  StepHandler,
  StepTimer,
  ValueSource,
  Vars,
  WaitOptions,
} from "./define/definition-types.js";
export {
  CallFailedError,
  RunCancelledError,
  RunError,
  RunFailedError,
  RunTimeoutError,
  RunVetoedError,
  StepFailedError,
  StepTimeoutError,
} from "./run/run-errors.js";
export { ResumeRefusedError, SignalNotAwaitedError, SignalPayloadError, SignalTimeoutError } from "./run/signal-errors.js";
export { WorkflowDefinitionError, type DefinitionIssue } from "./define/definition-errors.js";
export { instrument, type InstrumentOptions, type InstrumentState } from "./run/step-instrument.js";
export { loadWorkflow, parseWorkflow } from "./workflow-load.js";
export type { SpecOptions } from "./define/spec-compile.js";
export { WorkflowSpecSchema, type StepSpec, type WorkflowSpec } from "./define/spec-schema.js";
