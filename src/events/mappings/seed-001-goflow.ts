/**
 * Seed 001 (goflow's execution monitor): `ExecutionEvent` and `ExecutionProgress`, with Go's
 * field names in camelCase. A pure mapping; the variable snapshot and current node each event
 * carried come from run state kept by `createGoflowMapper` (seed-001-goflow-mapper.ts).
 */
import type { EventOf, RuntrailEvent } from "../catalog.js";
import type { ConditionKind } from "../families/condition.js";
import type { ErrorInfo } from "../fields.js";

/** goflow's event types, in its order. Its summary says 13; it lists these 14. */
export const GOFLOW_EVENT_TYPES = [
  "ExecutionStarted",
  "ExecutionCompleted",
  "ExecutionFailed",
  "ExecutionCancelled",
  "NodeStarted",
  "NodeCompleted",
  "NodeFailed",
  "NodeSkipped",
  "VariableChanged",
  "ConditionEvaluated",
  "LoopStarted",
  "LoopIteration",
  "LoopCompleted",
  "ProgressUpdate",
] as const;
export type GoflowEventType = (typeof GOFLOW_EVENT_TYPES)[number];

/** goflow's `execution.Status` and `execution.NodeStatus` values. */
export type GoflowStatus = "pending" | "running" | "completed" | "failed" | "cancelled" | "timed_out" | "skipped";

/** goflow's `ExecutionError`/`NodeError` as data: `type` holds the Runtrail error's `name`. */
export interface GoflowError {
  type: string;
  message: string;
  stackTrace?: string;
  recoverable?: boolean;
}

/** goflow's `ExecutionProgress`. `currentNode` is absent when no node is running. */
export interface GoflowExecutionProgress {
  totalNodes: number;
  completedNodes: number;
  failedNodes: number;
  skippedNodes: number;
  currentNode?: string;
  percentComplete: number;
}

type NodeMetadata = { node_type?: string; attempt?: number };
type Outcome = { duration_ms: number; metrics?: Record<string, number>; issues?: string[] };

/** The `Metadata` map of each goflow event type (snake_case keys, as goflow's engine wrote). */
export interface GoflowMetadata {
  ExecutionStarted: { workflow_name: string; workflow_version?: string; inputs?: unknown };
  ExecutionCompleted: { return_value?: unknown; duration_ms: number };
  ExecutionFailed: { error_type: string; node_id?: string; duration_ms: number };
  ExecutionCancelled: { reason?: string; duration_ms: number };
  NodeStarted: NodeMetadata & { inputs?: unknown };
  NodeCompleted: NodeMetadata & Outcome & { outputs?: unknown };
  NodeFailed: NodeMetadata & Outcome & { error_type: string };
  NodeSkipped: NodeMetadata & { reason: string };
  VariableChanged: { name: string; old_value?: unknown; new_value: unknown };
  ConditionEvaluated: {
    condition_id: string;
    kind: ConditionKind;
    expression: string;
    result: boolean;
    scope?: unknown;
  };
  LoopStarted: { loop_id: string; kind: "foreach" | "while"; total?: number };
  LoopIteration: { loop_id: string; index: number; item?: unknown };
  LoopCompleted: { loop_id: string; iterations: number; duration_ms: number };
  ProgressUpdate: { progress: GoflowExecutionProgress };
}

/** goflow's `ExecutionEvent`, one member per event type. `timestamp` is RFC 3339 (UTC). */
export type GoflowExecutionEvent = {
  [T in GoflowEventType]: {
    type: T;
    timestamp: string;
    executionId: string;
    nodeId?: string;
    status?: GoflowStatus;
    /** The run's variables after this event (a copy), when run state is known. */
    variables?: Record<string, unknown>;
    error?: GoflowError;
    metadata: GoflowMetadata[T];
  };
}[GoflowEventType];

/** What goflow read from the live execution, rebuilt from the events of one run. */
export interface GoflowRunState {
  readonly variables: Readonly<Record<string, unknown>>;
  /** The step most recently started and not yet ended (goflow's `CurrentNode`). */
  readonly currentNode?: string;
}

/**
 * The goflow event for a Runtrail event, or `undefined` for those goflow had no type for
 * (`run.suspended`, `run.resumed`, `step.running`, `step.retrying`, wave, tool, llm, custom).
 * Pass `state` (see {@link reduceGoflowState}) to fill `variables` and the progress's current
 * node; without it `variables` is absent. {@link createGoflowMapper} does both for you.
 *
 * @example
 * const e = toGoflowEvent(event, { variables: { retries: 2 } });
 * if (e?.type === "NodeFailed") console.log(e.nodeId, e.error?.message, e.variables);
 */
export function toGoflowEvent(event: RuntrailEvent, state?: GoflowRunState): GoflowExecutionEvent | undefined {
  const base = {
    timestamp: new Date(event.ts).toISOString(),
    executionId: event.runId,
    ...(state !== undefined ? { variables: { ...state.variables } } : {}),
  };
  const node = event.stepId !== undefined ? { nodeId: event.stepId } : {};
  const nodeMeta = {
    ...(event.tag !== undefined ? { node_type: event.tag } : {}),
    ...(event.attempt !== undefined ? { attempt: event.attempt } : {}),
  };
  switch (event.type) {
    case "run.started":
      return {
        ...base,
        type: "ExecutionStarted",
        status: "running",
        metadata: {
          workflow_name: event.workflow.name,
          ...(event.workflow.version !== undefined ? { workflow_version: event.workflow.version } : {}),
          ...(event.input !== undefined ? { inputs: event.input } : {}),
        },
      };
    case "run.completed":
      return {
        ...base,
        type: "ExecutionCompleted",
        status: "completed",
        metadata: {
          ...(event.output !== undefined ? { return_value: event.output } : {}),
          duration_ms: event.durationMs,
        },
      };
    case "run.failed":
      return {
        ...base,
        // goflow's ExecutionFailed named the failing node, as NodeID and metadata.node_id.
        ...(failedNode(event) !== undefined ? { nodeId: failedNode(event) } : {}),
        type: "ExecutionFailed",
        status: "failed",
        error: goflowError(event.error),
        metadata: {
          error_type: event.error.name,
          ...(failedNode(event) !== undefined ? { node_id: failedNode(event) } : {}),
          duration_ms: event.durationMs,
        },
      };
    case "run.cancelled":
      return {
        ...base,
        type: "ExecutionCancelled",
        status: "cancelled",
        metadata: { ...(event.reason !== undefined ? { reason: event.reason } : {}), duration_ms: event.durationMs },
      };
    case "step.started":
      return {
        ...base,
        ...node,
        type: "NodeStarted",
        status: "running",
        metadata: { ...nodeMeta, ...(event.input !== undefined ? { inputs: event.input } : {}) },
      };
    case "step.completed":
      return {
        ...base,
        ...node,
        type: "NodeCompleted",
        status: "completed",
        metadata: { ...nodeMeta, ...(event.output !== undefined ? { outputs: event.output } : {}), ...outcome(event) },
      };
    case "step.failed":
      return {
        ...base,
        ...node,
        type: "NodeFailed",
        status: "failed",
        error: goflowError(event.error),
        metadata: { ...nodeMeta, error_type: event.error.name, ...outcome(event) },
      };
    case "step.skipped":
      return {
        ...base,
        ...node,
        type: "NodeSkipped",
        status: "skipped",
        metadata: { ...nodeMeta, reason: event.reason },
      };
    case "variable.changed": {
      const { name, old, new: value } = event.variable;
      const metadata = { name, ...(old !== undefined ? { old_value: old } : {}), new_value: value };
      return { ...base, ...node, type: "VariableChanged", metadata };
    }
    case "condition.evaluated": {
      const { conditionId, kind, expression, result, scope } = event;
      const metadata = {
        condition_id: conditionId,
        kind,
        expression,
        result,
        ...(scope !== undefined ? { scope } : {}),
      };
      return { ...base, ...node, type: "ConditionEvaluated", metadata };
    }
    case "loop.started": {
      const { loopId, kind, total } = event;
      const metadata = { loop_id: loopId, kind, ...(total !== undefined ? { total } : {}) };
      return { ...base, ...node, type: "LoopStarted", metadata };
    }
    case "loop.iteration": {
      const { index, item } = event.iteration;
      const metadata = { loop_id: event.loopId, index, ...(item !== undefined ? { item } : {}) };
      return { ...base, ...node, type: "LoopIteration", metadata };
    }
    case "loop.completed": {
      const metadata = { loop_id: event.loopId, iterations: event.iterations, duration_ms: event.durationMs };
      return { ...base, ...node, type: "LoopCompleted", metadata };
    }
    case "progress.updated":
      return { ...base, type: "ProgressUpdate", metadata: { progress: toGoflowProgress(event, state?.currentNode) } };
    default:
      return undefined;
  }
}

/**
 * goflow's `ExecutionProgress` from a `progress.updated` event; `currentNode` from run state.
 *
 * @example
 * toGoflowProgress(event, "fetch")
 * // { totalNodes: 4, completedNodes: 1, failedNodes: 0, skippedNodes: 0, currentNode: "fetch", percentComplete: 25 }
 */
export function toGoflowProgress(event: EventOf<"progress.updated">, currentNode?: string): GoflowExecutionProgress {
  const { total, completed, failed, skipped, percent } = event.progress;
  return {
    totalNodes: total,
    completedNodes: completed,
    failedNodes: failed,
    skippedNodes: skipped,
    ...(currentNode !== undefined ? { currentNode } : {}),
    percentComplete: percent,
  };
}

/** The node a failed run failed at: the engine's `failedStep`, or a `stepId` a producer set itself. */
function failedNode(event: EventOf<"run.failed">): string | undefined {
  return event.failedStep?.stepId ?? event.stepId;
}

function goflowError(error: ErrorInfo): GoflowError {
  return {
    type: error.name,
    message: error.message,
    ...(error.stack !== undefined ? { stackTrace: error.stack } : {}),
    ...(error.retryable !== undefined ? { recoverable: error.retryable } : {}),
  };
}

function outcome(event: EventOf<"step.completed" | "step.failed">): GoflowMetadata["NodeCompleted"] {
  return {
    duration_ms: event.durationMs,
    ...(event.metrics !== undefined ? { metrics: { ...event.metrics } } : {}),
    ...(event.issues !== undefined ? { issues: [...event.issues] } : {}),
  };
}
