/**
 * Mappings from Runtrail events to the event shapes of the four systems Runtrail replaces
 * (docs/event-mappings.md). Not a second event system: each is a function of Runtrail events.
 */
export {
  toAimlEvent,
  type AimlEvent,
  type ConditionCheckEvent,
  type StepTransitionEvent,
  type StepTransitionStatus,
} from "./seed-000-aiml.js";
export {
  GOFLOW_EVENT_TYPES,
  toGoflowEvent,
  toGoflowProgress,
  type GoflowError,
  type GoflowEventType,
  type GoflowExecutionEvent,
  type GoflowExecutionProgress,
  type GoflowMetadata,
  type GoflowRunState,
  type GoflowStatus,
} from "./seed-001-goflow.js";
export {
  INITIAL_GOFLOW_STATE,
  createGoflowMapper,
  reduceGoflowState,
  type GoflowMapper,
} from "./seed-001-goflow-mapper.js";
export { toAmcsEvent, type AmcsPhase, type AmcsWorkflowEvent } from "./seed-003-amcs.js";
export {
  toHexdagEvent,
  type HexdagError,
  type HexdagEvent,
  type HexdagPlan,
  type HexdagRunState,
  type HexdagLLMPromptSent,
  type HexdagLLMResponseReceived,
  type HexdagNodeCompleted,
  type HexdagNodeFailed,
  type HexdagNodeStarted,
  type HexdagPipelineCompleted,
  type HexdagPipelineStarted,
  type HexdagToolCalled,
  type HexdagToolCompleted,
  type HexdagWaveCompleted,
  type HexdagWaveStarted,
} from "./seed-004-hexdag.js";
export {
  createHexdagMapper,
  initialHexdagState,
  reduceHexdagState,
  type HexdagMapper,
  type HexdagMapperOptions,
} from "./seed-004-hexdag-mapper.js";
