/**
 * What control throws at registration, and the errors it reports when a handler misbehaves.
 */
import type { ControlFailure } from "./handler-types.js";

/** Thrown by `register` when the name is taken: decisions are explained by name, so names are unique. */
export class DuplicateHandlerError extends Error {
  override readonly name = "DuplicateHandlerError";
  constructor(readonly handler: string) {
    super(`a control handler named "${handler}" is already registered; unregister it first or choose another name`);
  }
}

/** Reported when a handler's async answer does not come within its limit. */
export class HandlerTimeoutError extends Error {
  override readonly name = "HandlerTimeoutError";
  constructor(
    readonly handler: string,
    readonly timeoutMs: number,
  ) {
    super(`control handler "${handler}" did not answer within ${timeoutMs} ms`);
  }
}

/** Reported when a handler returns something that is not a control answer. */
export class InvalidAnswerError extends Error {
  override readonly name = "InvalidAnswerError";
  constructor(
    readonly handler: string,
    readonly problem: string,
  ) {
    super(`control handler "${handler}" returned an invalid answer: ${problem}`);
  }
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Where handler failures go unless the manager is given its own `onError`. */
export function warnControlFailure(failure: ControlFailure): void {
  const { handler, kind, phase, critical, error, event } = failure;
  const where = phase === "check" ? "check" : "onEvent";
  const outcome = phase === "observe" ? "" : critical ? "; the check fails" : "; counted as proceed";
  console.warn(
    `[runtrail] control handler "${handler}" ${kind} in ${where} on ${event.type} (run ${event.runId}, seq ${event.seq})${outcome}: ${messageOf(error)}`,
  );
}
