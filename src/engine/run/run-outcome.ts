/**
 * How a run ended, as the executor writes its terminal event: per-outcome data inside the union,
 * so a completed run has an output and no error, a failed one an error and no output.
 */
import type { Decision } from "../../events/index.js";
import type { RunCancelledError, RunError } from "./run-errors.js";

export type RunOutcome =
  | { readonly kind: "completed"; readonly output: unknown; readonly decision?: Decision }
  | { readonly kind: "failed"; readonly error: RunError; readonly decision?: Decision }
  | { readonly kind: "cancelled"; readonly error: RunCancelledError };
