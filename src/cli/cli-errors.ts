/**
 * The CLI's exit codes and its one error type. 1: the command could not do what was asked (a bad
 * flag, an unknown file, a spec error, a store that cannot be opened, a server that refuses);
 * 2: it did, and the run it ran or followed failed or was cancelled; 3: the run is suspended
 * (waiting for a signal, or paused) with nothing left to do here, and is stored for a resume.
 */

/** Exit code of a command that could not do what was asked. */
export const EXIT_ERROR = 1;
/** Exit code of a run (or a followed run) that failed or was cancelled. */
export const EXIT_RUN_FAILED = 2;
/** Exit code of `runtrail run` when its run is suspended and idle: stored, for a server to resume. */
export const EXIT_RUN_SUSPENDED = 3;

/**
 * An error to show as it is (no stack): what went wrong and where.
 *
 * @example
 * throw new CliError(`no such file: ${file}`);
 */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT_ERROR,
  ) {
    super(message);
  }
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
