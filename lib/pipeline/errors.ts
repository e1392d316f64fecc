/**
 * User-facing pipeline errors: a message that names the file, line and key at fault, printed
 * without a stack trace.
 *
 * @module
 */

/** An error caused by the user's input (config, selector, command line): printed as is. */
export class PipelineError extends Error {
  /** The process exit code the CLI returns for it. */
  readonly exitCode: number;
  /** Creates an error with a complete, user-readable message. */
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "PipelineError";
    this.exitCode = exitCode;
  }
}

/** The message of any thrown value, without its stack. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
