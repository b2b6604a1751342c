/**
 * @module runtrail/projections
 * Pure reducers over events: run state, progress and variables; and the one table from event
 * type to run and step status (`run-status.ts`), whose words the store and the API use. A live
 * run, a stored run and a replayed run give the same answers, because these are the only way any
 * of them is computed.
 */
export { reduceRun, projectRun, stepKey, type RunState, type StepState } from "./run-state.js";
export { reduceProgress, projectProgress, NO_PROGRESS } from "./progress-reducer.js";
export { reduceVariables, projectVariables, type VariablesState } from "./variables-reducer.js";
export { RUN_STATUSES, RUN_STATUS_OF, STEP_STATUSES, STEP_STATUS_OF, isRunFinished, runStatusOf, stepStatusOf, type RunStatus, type StepStatus } from "./run-status.js";
