/**
 * Shell quoting for the batch scripts the Slurm executor writes.
 *
 * @module
 */

/** Quotes a string for bash: bare when it is made of safe characters, else in single quotes. */
export function shQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
