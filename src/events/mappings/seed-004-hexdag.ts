/**
 * Seed 004 (hexDAG's event system): its eleven event data classes as plain objects, `kind`
 * naming the Python class and fields in snake_case. A pure mapping; a node's wave and the
 * pipeline's node results come from run state kept by `createHexdagMapper` (seed-004-hexdag-mapper.ts).
 */
import type { RuntrailEvent } from "../catalog.js";
import { pythonIsoformat } from "./python-time.js";

/** An exception as data: its class name and `str(e)`. */
export interface HexdagError {
  type: string;
  message: string;
}

/** Fields every hexDAG event has. `timestamp` is naive UTC ISO 8601, as `datetime.isoformat()` writes. */
interface HexdagBase<K extends string> {
  kind: K;
  timestamp: string;
}

/** `wave_index` is `null` when the run state does not know the node's wave (no `wave.started` named it). */
export interface HexdagNodeStarted extends HexdagBase<"NodeStarted"> {
  name: string;
  wave_index: number | null;
  dependencies: string[];
}
export interface HexdagNodeCompleted extends HexdagBase<"NodeCompleted"> {
  name: string;
  wave_index: number | null;
  result: unknown;
  duration_ms: number;
}
export interface HexdagNodeFailed extends HexdagBase<"NodeFailed"> {
  name: string;
  wave_index: number | null;
  error: HexdagError;
}
export interface HexdagWaveStarted extends HexdagBase<"WaveStarted"> {
  wave_index: number;
  nodes: string[];
}
export interface HexdagWaveCompleted extends HexdagBase<"WaveCompleted"> {
  wave_index: number;
  duration_ms: number;
}
/**
 * `total_waves` is `null` unless a {@link HexdagPlan} gives it; `total_nodes` comes from the plan,
 * else from `run.started`'s `totalSteps`, else is `null`.
 */
export interface HexdagPipelineStarted extends HexdagBase<"PipelineStarted"> {
  name: string;
  total_waves: number | null;
  total_nodes: number | null;
}
export interface HexdagPipelineCompleted extends HexdagBase<"PipelineCompleted"> {
  name: string;
  duration_ms: number;
  node_results: Record<string, unknown>;
}
export interface HexdagToolCalled extends HexdagBase<"ToolCalled"> {
  node_name: string;
  tool_name: string;
  params: Record<string, unknown>;
}
export interface HexdagToolCompleted extends HexdagBase<"ToolCompleted"> {
  node_name: string;
  tool_name: string;
  result: unknown;
  duration_ms: number;
}
export interface HexdagLLMPromptSent extends HexdagBase<"LLMPromptSent"> {
  node_name: string;
  messages: Record<string, string>[];
}
export interface HexdagLLMResponseReceived extends HexdagBase<"LLMResponseReceived"> {
  node_name: string;
  response: string;
  duration_ms: number;
}

/** Any hexDAG event, discriminated by `kind`. */
export type HexdagEvent =
  | HexdagNodeStarted
  | HexdagNodeCompleted
  | HexdagNodeFailed
  | HexdagWaveStarted
  | HexdagWaveCompleted
  | HexdagPipelineStarted
  | HexdagPipelineCompleted
  | HexdagToolCalled
  | HexdagToolCompleted
  | HexdagLLMPromptSent
  | HexdagLLMResponseReceived;

/** What hexDAG knew from its compiled DAG before the run began, and Runtrail's events do not say. */
export interface HexdagPlan {
  totalWaves: number;
  totalNodes: number;
  /** Each node's dependencies, by step id. */
  dependencies?: Readonly<Record<string, readonly string[]>>;
}

/** What hexDAG's orchestrator knew mid-run, rebuilt from the events of one run. */
export interface HexdagRunState {
  readonly plan?: HexdagPlan;
  /** Each step's wave, counted from 1 as hexDAG did, from `wave.started`. */
  readonly waveOf: Readonly<Record<string, number>>;
  /** Each completed step's output (`null` when it had none), from `step.completed`. */
  readonly nodeResults: Readonly<Record<string, unknown>>;
}

const NO_STATE: HexdagRunState = { waveOf: {}, nodeResults: {} };

/**
 * The hexDAG event for a Runtrail event, or `undefined` where hexDAG had no class: `run.failed`,
 * `run.cancelled`, `run.suspended`, `run.resumed`, `step.running`, `step.skipped`, `step.retrying`,
 * `tool.failed`, `llm.failed`, condition, loop, variable, progress and custom events, and step,
 * tool and llm events without a `stepId`. Runtrail numbers waves from 0, hexDAG from 1
 * (`enumerate(waves, 1)`), so `wave_index` is `wave + 1`.
 *
 * @example
 * const e = toHexdagEvent(event, state);
 * if (e?.kind === "NodeCompleted") console.log(`${e.name} in wave ${e.wave_index}: ${e.duration_ms}ms`);
 */
export function toHexdagEvent(event: RuntrailEvent, state: HexdagRunState = NO_STATE): HexdagEvent | undefined {
  const timestamp = pythonIsoformat(event.ts);
  const step = event.stepId;
  switch (event.type) {
    case "run.started":
      return {
        kind: "PipelineStarted",
        timestamp,
        name: event.workflow.name,
        total_waves: state.plan?.totalWaves ?? null,
        total_nodes: state.plan?.totalNodes ?? event.totalSteps ?? null,
      };
    case "run.completed":
      return {
        kind: "PipelineCompleted",
        timestamp,
        name: event.workflow.name,
        duration_ms: event.durationMs,
        node_results: { ...state.nodeResults },
      };
    case "wave.started":
      return { kind: "WaveStarted", timestamp, wave_index: event.wave + 1, nodes: [...event.stepIds] };
    case "wave.completed":
      return { kind: "WaveCompleted", timestamp, wave_index: event.wave + 1, duration_ms: event.durationMs };
    default:
      break;
  }
  if (step === undefined) return undefined;
  const wave_index = state.waveOf[step] ?? null;
  switch (event.type) {
    case "step.started": {
      const dependencies = [...(state.plan?.dependencies?.[step] ?? [])];
      return { kind: "NodeStarted", timestamp, name: step, wave_index, dependencies };
    }
    case "step.completed":
      return {
        kind: "NodeCompleted",
        timestamp,
        name: step,
        wave_index,
        result: event.output ?? null,
        duration_ms: event.durationMs,
      };
    case "step.failed":
      return {
        kind: "NodeFailed",
        timestamp,
        name: step,
        wave_index,
        error: { type: event.error.name, message: event.error.message },
      };
    case "tool.called":
      return {
        kind: "ToolCalled",
        timestamp,
        node_name: step,
        tool_name: event.tool.name,
        params: toParams(event.arguments),
      };
    case "tool.completed":
      return {
        kind: "ToolCompleted",
        timestamp,
        node_name: step,
        tool_name: event.tool.name,
        result: event.result ?? null,
        duration_ms: event.durationMs,
      };
    case "llm.requested":
      return { kind: "LLMPromptSent", timestamp, node_name: step, messages: toMessages(event.prompt) };
    case "llm.responded":
      return {
        kind: "LLMResponseReceived",
        timestamp,
        node_name: step,
        response: toText(event.response),
        duration_ms: event.durationMs,
      };
    default:
      return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** hexDAG's `params` is a dict: an object passes through; any other value is wrapped as `{ value }`. */
function toParams(args: unknown): Record<string, unknown> {
  return isRecord(args) ? { ...args } : { value: args };
}

/**
 * hexDAG's `messages` is a list of string-valued dicts: a prompt already in that form passes
 * through; any other prompt becomes one user message holding its text.
 */
function toMessages(prompt: unknown): Record<string, string>[] {
  const isMessage = (m: unknown): m is Record<string, string> =>
    isRecord(m) && Object.values(m).every((v) => typeof v === "string");
  if (Array.isArray(prompt) && prompt.every(isMessage)) return prompt.map((m) => ({ ...m }));
  return [{ role: "user", content: toText(prompt) }];
}

/** Strings as they are; any other JSON value as its JSON text. */
function toText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? null);
}
