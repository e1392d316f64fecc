/**
 * The CLI's exit codes and the classification of bad-environment errors (read-only store,
 * missing permissions, full disk) into one-line causes.
 *
 * @module
 */

/** Every exit code the pipeline CLI returns (README "Command line" lists them). */
export const EXIT = {
  /** Everything asked for is done (or, for `verify`, the store is clean). */
  ok: 0,
  /** A run failed (the summary lists each failure), or `verify` found corruption it kept. */
  failed: 1,
  /** Bad input: config, selectors, command line. */
  badInput: 2,
  /** The store is in use by another invocation and `--no-wait` was given. */
  busy: 3,
  /** A bug in the tool: an unexpected error (printed with its stack trace). */
  internal: 70,
  /** The environment refused: read-only store, permission denied, disk full or over quota. */
  environment: 74,
  /** Interrupted by Ctrl-C (SIGINT). */
  interrupted: 130,
  /** Stopped by SIGTERM (same summary as Ctrl-C). */
  sigterm: 143,
} as const;

/** The OS errors that mean "the environment refused", by errno and by Deno's message. */
const CAUSES: { errno: number; code: string; cause: string }[] = [
  { errno: 30, code: "EROFS", cause: "read-only file system" },
  { errno: 13, code: "EACCES", cause: "permission denied" },
  { errno: 1, code: "EPERM", cause: "operation not permitted" },
  { errno: 28, code: "ENOSPC", cause: "no space left on device (disk full)" },
  { errno: 122, code: "EDQUOT", cause: "disk quota exceeded" },
];

/** The one-line cause of a bad-environment error, or undefined for any other error. */
export function environmentCause(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  const m = /\(os error (\d+)\)/.exec(e.message);
  const errno = m ? Number(m[1]) : undefined;
  const hit = CAUSES.find((c) => c.code === code || c.errno === errno) ??
    (e instanceof Deno.errors.PermissionDenied ? CAUSES[1] : undefined);
  if (!hit) return undefined;
  // Deno's message: "Read-only file system (os error 30): open '/x/y'" → keep the path part.
  const where = /\): (.*)$/.exec(e.message)?.[1];
  return `${hit.cause}${where ? ` (${where})` : ""}`;
}
